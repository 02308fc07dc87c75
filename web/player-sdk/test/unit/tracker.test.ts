import { afterEach, describe, expect, it, vi } from 'vitest';
import { createTracker, DROPPED_EVENTS_KEY, MAX_BATCH_BYTES, type TrackerOptions } from '../../src/tracker';
import { truncateUtf8, utf8Length } from '../../src/utf8';
import { safeText } from '../../src/adapters/playback';
import { SDK_NAME, SDK_VERSION } from '../../src/version';
import { fakeFetch } from './helpers';

const base = { endpoint: 'http://127.0.0.1:9/api/playback-events', token: 'demo-token', projectId: 'demo', pageLifecycle: false, flushIntervalMs: 0 };

function tracker(extra: Partial<TrackerOptions> = {}, responses?: Parameters<typeof fakeFetch>[0]) {
  const net = fakeFetch(responses);
  const t = createTracker({ ...base, fetch: net.fetch, retry: { sleep: async () => undefined }, ...extra });
  const events = () => net.calls.flatMap((c) => c.body.events);
  return { t, net, events };
}

afterEach(() => vi.useRealTimers());

describe('tracker wire format', () => {
  it('sends schema 1.0 batches with every required field, the token, and a traceparent of the session trace', async () => {
    const { t, net } = tracker({ meta: { content_id: 'c1', player_name: 'hls.js' } });
    t.track('play_requested', { playhead_s: 0 });
    t.track('segment_loaded', { 'network.kind': 'segment' });
    await t.flush();
    expect(net.calls).toHaveLength(1);
    const { url, init, body } = net.calls[0];
    expect(url).toBe(base.endpoint);
    expect(init.method).toBe('POST');
    expect(init.credentials).toBe('omit');
    const headers = init.headers as Record<string, string>;
    expect(headers['X-MTrace-Token']).toBe('demo-token');
    expect(headers['Content-Type']).toBe('application/json');
    expect(headers.traceparent).toMatch(new RegExp(`^00-${t.traceId}-[0-9a-f]{16}-01$`));
    expect(t.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(body.schema_version).toBe('1.0');
    expect(body.events).toHaveLength(2);
    const [first, second] = body.events;
    expect(first).toMatchObject({ event_name: 'play_requested', project_id: 'demo', session_id: t.sessionId, sequence_number: 1, sdk: { name: SDK_NAME, version: SDK_VERSION } });
    expect(first.client_timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(first.meta).toEqual({ content_id: 'c1', player_name: 'hls.js', playhead_s: 0 });
    expect(second.sequence_number).toBe(2);
    expect(second.meta).toEqual({ 'network.kind': 'segment' });
    expect(body.session_boundaries).toBeUndefined();
  });

  it('keeps the trace id across batches and mints a new parent span id per request', async () => {
    const { t, net } = tracker();
    t.track('paused');
    await t.flush();
    t.track('resumed');
    await t.flush();
    const [a, b] = net.calls.map((c) => (c.init.headers as Record<string, string>).traceparent.split('-'));
    expect(a[1]).toBe(b[1]);
    expect(a[2]).not.toBe(b[2]);
  });

  it('redacts URL values in meta with the server rules before sending', async () => {
    const { t, events } = tracker();
    t.track('custom_note', { manifest_url: 'https://u:p@cdn.example.com/live/index.m3u8?token=x', note: 'see https://h/a?b', plain: 'hls.js' });
    await t.flush();
    expect(events()[0].meta).toEqual({ manifest_url: 'https://cdn.example.com/live/index.m3u8', note: ':redacted', plain: 'hls.js' });
  });

  it('rejects missing endpoint, token or project id', () => {
    expect(() => createTracker({ ...base, token: ' ' })).toThrow(/token/);
    expect(() => createTracker({ ...base, endpoint: '' })).toThrow(/endpoint/);
    expect(() => createTracker({ ...base, projectId: '' })).toThrow(/projectId/);
  });
});

describe('batching', () => {
  it('sends on its own when the batch size is reached, without a network call inside track()', async () => {
    const { t, net } = tracker({ batchSize: 3 });
    t.track('a_1');
    t.track('a_2');
    t.track('a_3');
    expect(net.calls).toHaveLength(0);
    await vi.waitFor(() => expect(net.calls).toHaveLength(1));
    expect(net.calls[0].body.events.map((e: any) => e.sequence_number)).toEqual([1, 2, 3]);
  });

  it('sends on the flush interval', async () => {
    vi.useFakeTimers();
    const { t, net } = tracker({ flushIntervalMs: 1000 });
    t.track('paused');
    await vi.advanceTimersByTimeAsync(999);
    expect(net.calls).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(net.calls).toHaveLength(1);
    await t.destroy();
  });

  it('splits at 100 events per request', async () => {
    const { t, net } = tracker({ batchSize: 100, maxQueueEvents: 1000 });
    for (let i = 0; i < 250; i++) t.track('metrics_sampled', { i });
    await t.flush();
    expect(net.calls.map((c) => c.body.events.length)).toEqual([100, 100, 50]);
    expect(net.calls.flatMap((c) => c.body.events.map((e: any) => e.sequence_number))).toEqual(Array.from({ length: 250 }, (_, i) => i + 1));
  });

  it('keeps every request within 256 KiB and drops (and counts) an event too large for any request', async () => {
    const { t, net } = tracker({ batchSize: 100 });
    const big = 'x'.repeat(60 * 1024);
    for (let i = 0; i < 6; i++) t.track('big', { big });
    t.track('huge', { big: 'y'.repeat(MAX_BATCH_BYTES) });
    t.track('after');
    await t.flush();
    for (const call of net.calls) expect(new TextEncoder().encode(call.init.body as string).length).toBeLessThanOrEqual(MAX_BATCH_BYTES);
    const names = net.calls.flatMap((c) => c.body.events.map((e: any) => e.event_name));
    expect(names).toEqual(['big', 'big', 'big', 'big', 'big', 'big', 'after']);
    expect(net.calls.length).toBeGreaterThanOrEqual(2);
    expect(t.stats().dropped).toBe(1);
    const after = net.calls.at(-1)!.body.events.at(-1);
    expect(after.event_name).toBe('after');
    expect(after.meta[DROPPED_EVENTS_KEY]).toBe(1);
  });
});

describe('bounded queue', () => {
  it('drops events past the bound, counts them and reports the count in the next batch', async () => {
    const { t, net } = tracker({ batchSize: 100, maxQueueEvents: 3 });
    for (let i = 0; i < 5; i++) t.track('e', { i });
    expect(t.stats()).toMatchObject({ queued: 3, dropped: 2 });
    await t.flush();
    const sent = net.calls[0].body.events;
    expect(sent.map((e: any) => e.meta.i)).toEqual([0, 1, 2]);
    expect(sent[0].meta[DROPPED_EVENTS_KEY]).toBe(2);
    expect(sent[1].meta[DROPPED_EVENTS_KEY]).toBeUndefined();
    t.track('later');
    await t.flush();
    expect(net.calls[1].body.events[0].meta?.[DROPPED_EVENTS_KEY]).toBeUndefined();
  });

  it('drops and counts an event whose meta cannot be serialized, and goes on', async () => {
    const { t, events } = tracker();
    const cyclic: any = {};
    cyclic.self = cyclic;
    t.track('bad_bigint', { n: 1n as unknown as number });
    t.track('bad_cycle', cyclic);
    t.track('good');
    await t.flush();
    expect(events().map((e: any) => e.event_name)).toEqual(['good']);
    expect(t.stats().dropped).toBe(2);
    t.track('next');
    await t.flush();
    expect(events()[1].meta[DROPPED_EVENTS_KEY]).toBe(2);
  });

  it('counts a batch the server refuses as dropped and reports it with the next batch', async () => {
    const { t, net } = tracker({}, [() => new Response('{"error":"invalid_event","message":"x"}', { status: 422 }), () => new Response('{"accepted":1}', { status: 202 })]);
    t.track('a');
    t.track('b');
    await t.flush();
    expect(t.stats()).toMatchObject({ sent: 0, dropped: 2 });
    t.track('c');
    await t.flush();
    expect(net.calls).toHaveLength(2);
    expect(net.calls[1].body.events[0].meta[DROPPED_EVENTS_KEY]).toBe(2);
    expect(t.stats().sent).toBe(1);
  });

  it('repeats the session dimensions until a batch carrying them is delivered', async () => {
    const { t, net } = tracker({ meta: { content_id: 'c' } }, [() => new Response('', { status: 400 }), () => new Response('', { status: 202 })]);
    t.track('a');
    await t.flush();
    t.track('b');
    await t.flush();
    t.track('c');
    await t.flush();
    expect(net.calls.map((c) => c.body.events[0].meta?.content_id)).toEqual(['c', 'c', undefined]);
  });
});

// The server refuses a whole batch (422) for one event with a bad name or reserved meta key
// (src/domain/event_rules.cpp); track() keeps such an event out so that it sinks only itself.
describe('events the server would refuse', () => {
  const invalid: Array<[string, Record<string, unknown>?]> = [
    ['Bad Name'], ['9lives'], ['x'.repeat(65)], ['dash-name'], [''],
    ['custom_event', { 'network.kind': 'video' }],
    ['custom_event', { 'network.detail_status': 'ok' }],
    ['custom_event', { 'network.unavailable_reason': 'cors_timing_blocked' }],  // without detail_status
    ['custom_event', { 'network.unavailable_reason': 'because', 'network.detail_status': 'network_detail_unavailable' }],
    ['custom_event', { 'network.redacted_url': 'https://cdn.example.com/live/index.m3u8?token=abc' }],
    ['custom_event', { 'network.redacted_url': 'https://cdn.example.com/live/0123456789abcdef0123456789abcdef/seg.m4s' }],
    ['custom_event', { 'network.redacted_url': 'not a url' }],
    ['custom_event', { 'timing.start': 'yesterday' }],
    ['custom_event', { 'timing.start': '2024-02-30T10:00:00Z' }],
    ['custom_event', { 'timing.start': '2024-02-10T10:00:00' }],
    ['custom_event', { 'timing.start': Number.NaN }],
    ['custom_event', { 'timing.start': true }],
    ['custom_event', { session_sample_rate: 0 }],
    ['custom_event', { session_sample_rate: 1.5 }],
    ['custom_event', { 'webrtc.unknown': 1 }],
    ['custom_event', { 'webrtc.packets_lost': -1 }],
    ['custom_event', { 'webrtc.rtt_ms': 1.5 }],
    ['custom_event', { 'webrtc.fps': Number.POSITIVE_INFINITY }],
    ['custom_event', { 'webrtc.connection_state': 'open' }],
    ['custom_event', { 'webrtc.peer_connection_run_id': 'Run 1' }],
    ['custom_event', { 'webrtc.error_code': 'oops' }],
    ['custom_event', { 'webrtc.error_detail': 'é'.repeat(129) }],
  ];
  const valid: Array<[string, Record<string, unknown>?]> = [
    ['custom_event'], ['a'], ['a.b_c9'], ['x'.repeat(64)], ['startup_completed'],
    ['segment_loaded', { 'network.kind': 'segment', 'network.detail_status': 'available', 'network.redacted_url': 'https://cdn.example.com/live/high/seg_001.m4s', 'network.whatever': 'free' }],
    ['custom_event', { 'network.detail_status': 'network_detail_unavailable', 'network.unavailable_reason': 'cors_timing_blocked', 'network.redacted_url': '' }],
    ['custom_event', { 'timing.start': 12.5, 'timing.end': '2024-02-29T10:00:00.5+01:00', 'timing.at': '2024-02-10t10:00:00z' }],
    ['custom_event', { session_sample_rate: 1 }],
    ['custom_event', { 'webrtc.packets_lost': 0, 'webrtc.fps': 29.97, 'webrtc.connection_state': 'connected', 'webrtc.peer_connection_run_id': 'run-1_a', 'webrtc.error_detail': 'x' }],
    ['custom_event', { url: 'https://u:p@cdn.example.com/x?y', other: NaN }],
  ];

  it('drops and counts an event with a bad name or reserved meta value, and sends the rest', async () => {
    const { t, events } = tracker({ batchSize: 100 });
    for (const [name, meta] of invalid) t.track(name, meta as any);
    for (const [name, meta] of valid) t.track(name, meta as any);
    await t.flush();
    expect(events().map((e: any) => e.event_name)).toEqual(valid.map(([name]) => name));
    expect(events()[0].meta[DROPPED_EVENTS_KEY]).toBe(invalid.length);
    expect(t.stats()).toMatchObject({ queued: valid.length, sent: valid.length, dropped: invalid.length, invalid: invalid.length });
  });

  it('refuses session dimensions the server would refuse, at creation', () => {
    expect(() => createTracker({ ...base, meta: { content_id: 'c', 'network.kind': 'video' } })).toThrow(/network\.kind/);
    expect(() => createTracker({ ...base, meta: { session_sample_rate: 2 } })).toThrow(/session_sample_rate/);
    expect(() => createTracker({ ...base, meta: { content_id: 1n as unknown as number } })).toThrow(/meta/);
    expect(createTracker({ ...base, meta: { content_id: 'c', player_name: 'hls.js' } }).active).toBe(true);
  });
});

describe('sampling and consent', () => {
  it('a sampled-out session sends nothing, not even session_ended', async () => {
    const { t, net } = tracker({ sampleRate: 0.25, random: () => 0.25 });
    expect(t.active).toBe(false);
    t.track('play_requested');
    await t.destroy();
    expect(net.calls).toHaveLength(0);
  });

  it('a sampled-in session marks every event with session_sample_rate', async () => {
    const { t, events } = tracker({ sampleRate: 0.25, random: () => 0.2499 });
    t.track('a');
    t.track('b', { x: 1 });
    await t.destroy();
    expect(events().map((e: any) => e.meta.session_sample_rate)).toEqual([0.25, 0.25, 0.25]);
    expect(events().map((e: any) => e.event_name)).toEqual(['a', 'b', 'session_ended']);
  });

  it('a full-rate session carries no sample rate', async () => {
    const { t, events } = tracker();
    t.track('a');
    await t.flush();
    expect(events()[0].meta).toBeUndefined();
  });

  it('enabled: false sends nothing at all', async () => {
    const { t, net } = tracker({ enabled: false, flushIntervalMs: 10 });
    t.track('a');
    t.addBoundary({ networkKind: 'manifest', adapter: 'native_hls', reason: 'native_hls_unavailable' });
    await t.flush();
    await t.destroy();
    expect(net.calls).toHaveLength(0);
  });

  it('withdrawing consent discards the queue; granting it again resumes', async () => {
    const { t, events } = tracker();
    t.track('before');
    t.setEnabled(false);
    t.track('while_off');
    await t.flush();
    expect(events()).toHaveLength(0);
    t.setEnabled(true);
    t.track('after');
    await t.flush();
    expect(events().map((e: any) => e.event_name)).toEqual(['after']);
  });
});

describe('lifecycle', () => {
  it('destroy() queues session_ended once, flushes, and ignores later events', async () => {
    const { t, events } = tracker();
    t.track('play_requested');
    await Promise.all([t.destroy(), t.destroy()]);
    t.track('late');
    await t.flush();
    expect(events().map((e: any) => e.event_name)).toEqual(['play_requested', 'session_ended']);
  });

  it('sends boundaries with the first batch only, and only together with events', async () => {
    const { t, net } = tracker();
    t.addBoundary({ networkKind: 'manifest', adapter: 'native_hls', reason: 'native_hls_unavailable' });
    t.addBoundary({ networkKind: 'manifest', adapter: 'native_hls', reason: 'native_hls_unavailable' });
    await t.flush();
    expect(net.calls).toHaveLength(0);
    t.track('play_requested');
    await t.flush();
    t.track('paused');
    await t.flush();
    expect(net.calls[0].body.session_boundaries).toEqual([{
      kind: 'network_signal_absent', project_id: 'demo', session_id: t.sessionId, network_kind: 'manifest',
      adapter: 'native_hls', reason: 'native_hls_unavailable', client_timestamp: expect.stringMatching(/Z$/),
    }]);
    expect(net.calls[1].body.session_boundaries).toBeUndefined();
  });
});

describe('utf8Length', () => {
  it('matches TextEncoder for ASCII, 2-, 3- and 4-byte characters and lone surrogates', () => {
    for (const text of ['', 'abc', 'é', 'ü€', '€uro', '😀', 'a😀b', '\ud800', 'x\udc00y', '日本語テキスト', '\u07ff\u0800']) {
      expect(utf8Length(text)).toBe(new TextEncoder().encode(text).length);
    }
  });
});

describe('bounded free text', () => {
  it('truncateUtf8 never exceeds the byte bound nor splits a character', () => {
    expect(truncateUtf8('abc', 2)).toBe('ab');
    expect(truncateUtf8('ééé', 5)).toBe('éé');
    expect(truncateUtf8('a😀', 4)).toBe('a');
    expect(truncateUtf8('a😀', 5)).toBe('a😀');
  });

  it('safeText keeps error text within 256 bytes and out of the server URL redaction', () => {
    expect(utf8Length(safeText('é'.repeat(300)))).toBeLessThanOrEqual(256);
    expect(safeText('NotSupportedError: no decoder')).toBe('NotSupportedError : no decoder');
    expect(safeText('fragLoadError')).toBe('fragLoadError');
    expect(safeText('see https://h/x')).toBe('see https://h/x');
  });
});
