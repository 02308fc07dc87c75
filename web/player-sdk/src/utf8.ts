/** UTF-8 length of `text` without encoding it (lone surrogates count as U+FFFD, 3 bytes). */
export function utf8Length(text: string): number {
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) bytes += 1;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 2;  // the pair's two UTF-16 units become four bytes
      i++;
    } else bytes += 2;
  }
  return bytes;
}

/** `text` cut to at most `maxBytes` UTF-8 bytes, never inside a character. */
export function truncateUtf8(text: string, maxBytes: number): string {
  let out = text.length > maxBytes ? text.slice(0, maxBytes) : text;
  while (utf8Length(out) > maxBytes) out = out.slice(0, -1);
  if (/[\ud800-\udbff]$/.test(out)) out = out.slice(0, -1);
  return out;
}
