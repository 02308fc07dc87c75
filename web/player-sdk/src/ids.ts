/** Lowercase hex of `bytes` random bytes from the platform's CSPRNG. */
export function randomHex(bytes: number): string {
  const buffer = new Uint8Array(bytes);
  crypto.getRandomValues(buffer);
  let out = '';
  for (const b of buffer) out += (b < 16 ? '0' : '') + b.toString(16);
  return out;
}

/** A random (v4) UUID, the session id format the server and dashboard expect. */
export function createSessionId(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const h = randomHex(16);
  const variant = ((parseInt(h[16], 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20)}`;
}

/** A W3C trace id: 32 hex digits, not all zero. */
export function createTraceId(): string {
  for (;;) {
    const id = randomHex(16);
    if (!/^0+$/.test(id)) return id;
  }
}

/** A `traceparent` header value for one request of the session's trace (fresh parent span id). */
export function traceparent(traceId: string): string {
  let span = randomHex(8);
  if (span === '0000000000000000') span = '0000000000000001';
  return `00-${traceId}-${span}-01`;
}
