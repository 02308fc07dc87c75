import { describe, expect, it } from 'vitest';
import { LiveStream, SseParser, type EventAppended } from '../src/sse';
import type { StreamSession } from '../src/types';
import { fakeFetch, settle } from './helpers';

describe('SseParser', () => {
  it('assembles frames cut at any byte', () => {
    const text = 'id: 7\nevent: event_appended\ndata: {"session_id":"s1"}\n\n: heartbeat\n\nevent: session_updated\ndata: {"a":1}\n\n';
    for (let cut = 1; cut < text.length; cut++) {
      const parser = new SseParser();
      const frames = [...parser.feed(text.slice(0, cut)), ...parser.feed(text.slice(cut))];
      expect(frames, `cut at ${cut}`).toEqual([
        { event: 'event_appended', data: '{"session_id":"s1"}', id: '7' },
        { event: 'session_updated', data: '{"a":1}' },
      ]);
    }
  });

  it('joins multi-line data with newlines and strips one leading space only', () => {
    const frames = new SseParser().feed('data: first\ndata:  second\ndata:third\n\n');
    expect(frames).toEqual([{ event: 'message', data: 'first\n second\nthird' }]);
  });

  it('ignores comments and frames without data', () => {
    const parser = new SseParser();
    expect(parser.feed(': heartbeat\n\n:another\n\nid: 9\n\nretry: 100\n\n')).toEqual([]);
  });

  it('accepts CRLF and CR line ends, also when a CRLF is split between chunks', () => {
    const parser = new SseParser();
    const frames = [
      ...parser.feed('event: a\r'),
      ...parser.feed('\ndata: 1\r\n\r'),
      ...parser.feed('\nevent: b\rdata: 2\r\r'),
    ];
    expect(frames).toEqual([{ event: 'a', data: '1' }, { event: 'b', data: '2' }]);
  });

  it('keeps an id to its own frame', () => {
    const frames = new SseParser().feed('id: 5\nevent: event_appended\ndata: {}\n\nevent: session_updated\ndata: {}\n\n');
    expect(frames[0].id).toBe('5');
    expect(frames[1].id).toBeUndefined();
  });
});

function streamOf(chunks: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      controller.close();
    },
  });
}

describe('LiveStream', () => {
  it('dispatches frames, drops repeated ids and reconnects with Last-Event-ID', async () => {
    const bodies = [
      ['id: 1\nevent: event_appended\ndata: {"session_id":"s1","ingest_sequence":1,"event_name":"a"}\n\n',
        'event: session_updated\ndata: {"session_id":"s1","state":"active"}\n\n: heartbeat\n\n'],
      // After the reconnect the server repeats id 1 (backfill overlap) and sends id 2.
      ['id: 1\nevent: event_appended\ndata: {"session_id":"s1","ingest_sequence":1,"event_name":"a"}\n\n',
        'id: 2\nevent: event_appended\ndata: {"session_id":"s2","ingest_sequence":2,"event_name":"b"}\n\n',
        'event: event_appended\ndata: not json\n\n'],
    ];
    let connection = 0;
    const { fetch, calls } = fakeFetch(() => {
      const body = bodies[connection++];
      return body ? new Response(streamOf(body), { status: 200 }) : new Promise<Response>(() => {});
    });
    const timers: { callback: () => void; ms: number }[] = [];
    const live = new LiveStream({
      fetch, token: () => 'tok',
      setTimer: (callback, ms) => timers.push({ callback, ms }),
      clearTimer: () => {},
    });
    const appended: EventAppended[] = [];
    const updated: StreamSession[] = [];
    let reconnects = 0;
    live.subscribe({ eventAppended: (e) => appended.push(e), sessionUpdated: (s) => updated.push(s), reconnected: () => reconnects++ });
    live.start();
    await settle();
    expect(appended.map((e) => e.ingest_sequence)).toEqual([1]);
    expect(reconnects).toBe(0);
    expect(updated.map((s) => s.state)).toEqual(['active']);
    expect(live.state).toBe('reconnecting');
    expect(timers).toHaveLength(1);
    expect(calls[0].headers['X-MTrace-Token']).toBe('tok');
    expect(calls[0].headers['Last-Event-ID']).toBeUndefined();

    timers[0].callback();
    await settle();
    expect(calls[1].headers['Last-Event-ID']).toBe('1');
    expect(appended.map((e) => e.ingest_sequence)).toEqual([1, 2]);
    expect(live.lastEventId).toBe('2');
    expect(reconnects).toBe(1);

    // The third connection hangs open; stop() aborts it.
    timers[1].callback();
    await settle();
    expect(calls[2].headers['Last-Event-ID']).toBe('2');
    expect(live.state).toBe('reconnecting');
    live.stop();
    expect(live.state).toBe('stopped');
  });

  it('backs off longer after each failed attempt', async () => {
    const { fetch } = fakeFetch(() => new Response('down', { status: 503 }));
    const timers: number[] = [];
    let pending: (() => void) | null = null;
    const live = new LiveStream({
      fetch, token: () => 'tok',
      setTimer: (callback, ms) => { timers.push(ms); pending = callback; },
      clearTimer: () => {},
    });
    live.start();
    for (let i = 0; i < 4; i++) {
      await settle();
      pending!();
    }
    await settle();
    expect(timers.length).toBeGreaterThanOrEqual(4);
    for (let i = 1; i < timers.length; i++) expect(timers[i]).toBeGreaterThan(timers[i - 1]);
    expect(live.lastError).toContain('503');
    live.stop();
  });

  it('gives up on 401 and reports it', async () => {
    const { fetch } = fakeFetch(() => new Response('{}', { status: 401 }));
    let told = 0;
    const timers: number[] = [];
    const live = new LiveStream({ fetch, token: () => 'bad', onUnauthorized: () => told++, setTimer: (_c, ms) => timers.push(ms) });
    live.start();
    await settle();
    expect(live.state).toBe('unauthorized');
    expect(told).toBe(1);
    expect(timers).toEqual([]);
  });

  it('announces backfill_truncated with the oldest sequence', () => {
    const live = new LiveStream({ token: () => 't' });
    const seen: number[] = [];
    live.subscribe({ backfillTruncated: (oldest) => seen.push(oldest) });
    live.dispatch({ event: 'backfill_truncated', data: '{"oldest_ingest_sequence":1234}' });
    expect(seen).toEqual([1234]);
  });
});

describe('LiveStream heartbeat timeout', () => {
  const frame = 'id: 7\nevent: event_appended\ndata: {"session_id":"s1","ingest_sequence":7,"event_name":"a"}\n\n';

  it('drops a connection that brings no bytes and reconnects with Last-Event-ID', async () => {
    let connection = 0;
    const { fetch, calls } = fakeFetch(() => {
      if (connection++ > 0) return new Promise<Response>(() => {});
      // One frame, then silence with the connection left open.
      return new Response(new ReadableStream<Uint8Array>({ start(controller) { controller.enqueue(new TextEncoder().encode(frame)); } }), { status: 200 });
    });
    const timers: (() => void)[] = [];
    const live = new LiveStream({ fetch, token: () => 'tok', idleTimeoutMs: 40, setTimer: (callback) => timers.push(callback), clearTimer: () => {} });
    live.start();
    await settle();
    expect(live.state).toBe('connected');
    await new Promise((resolve) => setTimeout(resolve, 100));
    await settle();
    expect(live.state).toBe('reconnecting');
    expect(timers).toHaveLength(1);
    timers[0]();
    await settle();
    expect(calls).toHaveLength(2);
    expect(calls[1].headers['Last-Event-ID']).toBe('7');
    live.stop();
  });

  it('keeps a connection whose heartbeats arrive', async () => {
    let beat: ReturnType<typeof setInterval> | undefined;
    const { fetch, calls } = fakeFetch(() => new Response(new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(frame));
        beat = setInterval(() => controller.enqueue(new TextEncoder().encode(': heartbeat\n\n')), 10);
      },
    }), { status: 200 }));
    const live = new LiveStream({ fetch, token: () => 'tok', idleTimeoutMs: 40, setTimer: () => 0, clearTimer: () => {} });
    live.start();
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(live.state).toBe('connected');
    expect(calls).toHaveLength(1);
    live.stop();
    clearInterval(beat);
  });
});
