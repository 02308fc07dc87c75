import { describe, expect, it } from 'vitest';
import { createHttpTransport, parseRetryAfter, TransportError } from '../../src/transport';
import { fakeFetch } from './helpers';

const endpoint = 'http://127.0.0.1:9/api/playback-events';

function transport(responses: Parameters<typeof fakeFetch>[0], extra: Record<string, unknown> = {}) {
  const net = fakeFetch(responses);
  const sleeps: number[] = [];
  const t = createHttpTransport({
    endpoint, token: 'tok', fetch: net.fetch, sleep: async (ms) => void sleeps.push(ms), random: () => 1, ...extra,
  });
  return { t, net, sleeps };
}

const status = (code: number, headers: Record<string, string> = {}) => () => new Response(code === 202 ? '{"accepted":1}' : '{"error":"e","message":"m"}', { status: code, headers });

describe('http transport', () => {
  it('retries 5xx with exponential backoff and succeeds', async () => {
    const { t, net, sleeps } = transport([status(503), status(500), status(202)], { baseDelayMs: 100, maxDelayMs: 10_000 });
    await t.send('{}', {});
    expect(net.calls).toHaveLength(3);
    expect(sleeps).toEqual([100, 200]);
  });

  it('jitters each wait within [d/2, d]', async () => {
    for (const [random, expected] of [[0, 50], [0.5, 75], [1, 100]] as const) {
      const { t, sleeps } = transport([status(503), status(202)], { baseDelayMs: 100, random: () => random });
      await t.send('{}', {});
      expect(sleeps).toEqual([expected]);
    }
  });

  it('caps the backoff at maxDelayMs and gives up after maxAttempts', async () => {
    const { t, net, sleeps } = transport([status(502)], { baseDelayMs: 1000, maxDelayMs: 1500, maxAttempts: 4 });
    await expect(t.send('{}', {})).rejects.toMatchObject({ status: 502 });
    expect(net.calls).toHaveLength(4);
    expect(sleeps).toEqual([1000, 1500, 1500]);
  });

  it('honours Retry-After in seconds and as an HTTP date, capped', async () => {
    const a = transport([status(429, { 'Retry-After': '3' }), status(202)]);
    await a.t.send('{}', {});
    expect(a.sleeps).toEqual([3000]);

    const b = transport([status(429, { 'Retry-After': '3600' }), status(202)], { retryAfterCapMs: 5000 });
    await b.t.send('{}', {});
    expect(b.sleeps).toEqual([5000]);

    const date = new Date(Date.now() + 10_000).toUTCString();
    const c = transport([status(503, { 'Retry-After': date }), status(202)]);
    await c.t.send('{}', {});
    expect(c.sleeps[0]).toBeGreaterThan(8000);
    expect(c.sleeps[0]).toBeLessThanOrEqual(10_000);
  });

  it('does not retry other 4xx', async () => {
    for (const code of [400, 401, 403, 413, 422]) {
      const { t, net, sleeps } = transport([status(code), status(202)]);
      const error = await t.send('{}', {}).catch((e) => e);
      expect(error).toBeInstanceOf(TransportError);
      expect(error.status).toBe(code);
      expect(net.calls).toHaveLength(1);
      expect(sleeps).toEqual([]);
    }
  });

  it('retries network errors and timeouts', async () => {
    const { t, net } = transport([() => Promise.reject(new TypeError('Failed to fetch')), status(202)]);
    await t.send('{}', {});
    expect(net.calls).toHaveLength(2);

    let aborted = 0;
    const hang: typeof fetch = (_url, init) => new Promise((_, reject) => {
      init!.signal!.addEventListener('abort', () => { aborted++; reject(new DOMException('aborted', 'AbortError')); });
    });
    const slow = createHttpTransport({ endpoint, token: 't', fetch: hang, timeoutMs: 5, maxAttempts: 2, sleep: async () => undefined });
    await expect(slow.send('{}', {})).rejects.toBeInstanceOf(TransportError);
    expect(aborted).toBe(2);
  });

  it('sends the headers, credentials omit, and one keepalive attempt on page hide', async () => {
    const { t, net, sleeps } = transport([status(503)]);
    await expect(t.send('{"a":1}', { keepalive: true, traceparent: '00-' + 'a'.repeat(32) + '-' + 'b'.repeat(16) + '-01' })).rejects.toBeInstanceOf(TransportError);
    expect(net.calls).toHaveLength(1);
    expect(sleeps).toEqual([]);
    const init = net.calls[0].init;
    expect(init).toMatchObject({ method: 'POST', credentials: 'omit', keepalive: true, body: '{"a":1}' });
    expect(init.headers).toEqual({ 'Content-Type': 'application/json', 'X-MTrace-Token': 'tok', traceparent: '00-' + 'a'.repeat(32) + '-' + 'b'.repeat(16) + '-01' });
  });

  // destroy() waits for page-hide sends: on a page that lives on, a keepalive request that never
  // answers must end too.
  it('times out a keepalive attempt like any other', async () => {
    let aborted = 0;
    const hang: typeof fetch = (_url, init) => new Promise((_, reject) => {
      expect(init!.keepalive).toBe(true);
      init!.signal!.addEventListener('abort', () => { aborted++; reject(new DOMException('aborted', 'AbortError')); });
    });
    const slow = createHttpTransport({ endpoint, token: 't', fetch: hang, timeoutMs: 5, sleep: async () => undefined });
    await expect(slow.send('{}', { keepalive: true })).rejects.toBeInstanceOf(TransportError);
    expect(aborted).toBe(1);
  });

  it('parses Retry-After forms', () => {
    expect(parseRetryAfter('7')).toBe(7000);
    expect(parseRetryAfter(' 0 ')).toBe(0);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(null)).toBeUndefined();
    expect(parseRetryAfter('Thu, 01 Jan 1970 00:00:00 GMT', 5000)).toBe(0);
  });
});
