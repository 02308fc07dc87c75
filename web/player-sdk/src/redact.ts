/**
 * URL redaction with the server's rules (reference backend.md §5.6, src/domain/url_redaction.cpp):
 * keep `scheme://host[:port]/path`, drop userinfo, query and fragment, and replace every
 * token-like or badly percent-encoded path segment by `:redacted`. The SDK applies it before
 * sending so that what leaves the page is what the server would store.
 */
export const REDACTED = ':redacted';

const URL_KEYS = new Set([
  'url', 'uri', 'manifest_url', 'segment_url', 'media_url', 'network.url', 'request.url', 'response.url',
]);
const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:/;
const SEGMENT_CHARS = /^[A-Za-z0-9\-._~!$&'()*+,;=:@]$/;
const TOKEN_CHAR = /[A-Za-z0-9_-]/;
const PLAIN_URL = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[A-Za-z0-9.-]+(?::[0-9]*)?((?:\/[A-Za-z0-9\-._~!$&'()*+,;=:@]*)*)$/;
const utf8 = new TextEncoder();

function isSegmentByte(b: number): boolean {
  return b < 0x80 && SEGMENT_CHARS.test(String.fromCharCode(b));
}

function isTokenByte(b: number): boolean {
  return b < 0x80 && TOKEN_CHAR.test(String.fromCharCode(b));
}

function validHost(host: string): boolean {
  if (host === '') return false;
  if (host.startsWith('[')) {
    if (host.length < 3 || !host.endsWith(']')) return false;
    return /^[0-9A-Za-z\-._~!$&'()*+,;=:@%]*$/.test(host.slice(1, -1));
  }
  if (!/^(?:[\u0080-\uffff]|[A-Za-z0-9\-._~!$&'()*+,;=%])*$/.test(host)) return false;
  return !/%(?![0-9A-Fa-f]{2})/.test(host);
}

interface ParsedUrl { scheme: string; authority: string; path: string }

function parse(value: string): ParsedUrl | undefined {
  if (/[\x00-\x1f\x7f]/.test(value)) return undefined;
  const scheme = SCHEME.exec(value);
  if (!scheme || value.substr(scheme[0].length, 2) !== '//') return undefined;
  let rest = value.slice(scheme[0].length + 2);
  rest = rest.split('#', 1)[0].split('?', 1)[0];
  const slash = rest.indexOf('/');
  let authority = slash < 0 ? rest : rest.slice(0, slash);
  const path = slash < 0 ? '' : rest.slice(slash);
  const at = authority.lastIndexOf('@');
  if (at >= 0) authority = authority.slice(at + 1);
  let host = authority;
  const bracket = authority.lastIndexOf(']');
  const colon = authority.lastIndexOf(':');
  if (colon >= 0 && (bracket < 0 || colon > bracket)) {
    host = authority.slice(0, colon);
    if (!/^[0-9]*$/.test(authority.slice(colon + 1))) return undefined;
  }
  if (!validHost(host)) return undefined;
  return { scheme: scheme[0].slice(0, -1), authority, path };
}

/** Percent-decodes a segment into bytes; undefined on a malformed escape. */
function decodeSegment(segment: string): Uint8Array | undefined {
  const raw = utf8.encode(segment);
  const out = new Uint8Array(raw.length);
  let n = 0;
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] !== 0x25) {
      out[n++] = raw[i];
      continue;
    }
    const hex = String.fromCharCode(raw[i + 1] ?? 0, raw[i + 2] ?? 0);
    if (i + 2 >= raw.length || !/^[0-9A-Fa-f]{2}$/.test(hex)) return undefined;
    out[n++] = parseInt(hex, 16);
    i += 2;
  }
  return out.subarray(0, n);
}

function isTokenLike(bytes: Uint8Array): boolean {
  const ascii = bytes.every((b) => b < 0x80) ? String.fromCharCode(...bytes) : '';
  if (bytes.length >= 32 && bytes.length % 2 === 0 && /^[0-9A-Fa-f]+$/.test(ascii)) return true;
  if (/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(ascii)) return true;
  let characters = 0;
  let tokenCharacters = 0;
  for (const b of bytes) {
    if ((b & 0xc0) === 0x80) continue;
    characters++;
    if (isTokenByte(b)) tokenCharacters++;
  }
  return characters >= 24 && tokenCharacters * 5 >= characters * 4;
}

function escapeSegment(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) {
    out += isSegmentByte(b) ? String.fromCharCode(b) : '%' + (b < 16 ? '0' : '') + b.toString(16).toUpperCase();
  }
  return out;
}

/** The redacted form of `value`; `:redacted` when it is not an absolute URL with a host. */
export function redactUrl(value: string): string {
  const url = parse(value);
  if (!url) return REDACTED;
  let out = `${url.scheme.toLowerCase()}://${url.authority}`;
  if (url.path === '') return out;
  for (const segment of url.path.slice(1).split('/')) {
    const decoded = decodeSegment(segment);
    out += '/' + (!decoded || isTokenLike(decoded) ? REDACTED : escapeSegment(decoded));
  }
  return out;
}

/**
 * True when the server takes `value` as already redacted (its is_redacted_url): an absolute URL
 * with a host, without userinfo, query or fragment, and without a token-like path segment.
 */
export function isRedactedUrl(value: string): boolean {
  // Most are plain (the adapters' own): a host of letters, digits, dots and dashes, unescaped path.
  let path = PLAIN_URL.exec(value)?.[1];
  if (path === undefined) {
    const url = !/[?#]/.test(value) && parse(value);
    if (!url || value.slice(url.scheme.length + 3).split('/', 1)[0].includes('@')) return false;
    path = url.path;
  }
  for (const segment of path.slice(1).split('/')) {
    if (segment.includes('%')) {
      const decoded = decodeSegment(segment);
      if (!decoded || isTokenLike(decoded)) return false;
    } else if ((segment.length >= 24 || segment.split('.').length === 3) && isTokenLike(utf8.encode(segment))) {
      return false;  // shorter than 24 characters, a segment is token-like only as a JWT (two dots)
    }
  }
  return true;
}

/** True when the server would redact this meta string: a URL key, or a URL-looking value. */
export function needsRedaction(key: string, value: string): boolean {
  if (value === '') return false;
  return URL_KEYS.has(key.replace(/[A-Z]/g, (c) => c.toLowerCase())) || value.includes('://') || SCHEME.test(value);
}

/** The value for `network.redacted_url`, or undefined when the URL cannot be kept at all. */
export function redactedUrlOrUndefined(value: string | null | undefined): string | undefined {
  if (!value) return undefined;
  const redacted = redactUrl(value);
  return redacted === REDACTED ? undefined : redacted;
}
