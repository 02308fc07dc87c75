// @vitest-environment happy-dom
import { describe, expect, it, vi } from 'vitest';
import { createTracker, MAX_KEEPALIVE_BYTES } from '../../src/tracker';
import { BROWSER_KEEPALIVE_QUOTA, fakeFetch, quotaFetch } from './helpers';

function setVisibility(state: 'hidden' | 'visible') {
  Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => state });
  document.dispatchEvent(new Event('visibilitychange'));
}

function pagehide(persisted: boolean) {
  const event = new Event('pagehide') as PageTransitionEvent;
  Object.defineProperty(event, 'persisted', { value: persisted });
  window.dispatchEvent(event);
}

const options = { endpoint: 'http://127.0.0.1:9/api/playback-events', token: 'demo-token', projectId: 'demo', flushIntervalMs: 0, batchSize: 100 };

describe('page lifecycle delivery', () => {
  // The browser refuses a keepalive request that takes the keepalive bodies in flight past
  // 64 KiB: page-hide delivery stays within it and leaves the rest queued.
  it('on visibilitychange to hidden sends what fits the keepalive budget, leaving room for session_ended', async () => {
    const net = quotaFetch();
    const t = createTracker({ ...options, fetch: net.fetch });
    const filler = 'z'.repeat(10 * 1024);
    for (let i = 0; i < 14; i++) t.track('metrics_sampled', { filler });
    setVisibility('hidden');
    expect(net.calls.length).toBeGreaterThanOrEqual(1);
    expect(net.calls.filter((c) => c.refused)).toEqual([]);
    for (const call of net.calls) {
      expect(call.keepalive).toBe(true);
      expect(call.bytes).toBeLessThanOrEqual(MAX_KEEPALIVE_BYTES);
    }
    // At most 60 KiB in flight: 4 KiB of the 64 stay free for the batch that ends the session.
    expect(net.inFlight()).toBeLessThanOrEqual(MAX_KEEPALIVE_BYTES);
    const first = net.events().map((e) => e.sequence_number);
    expect(first).toEqual(first.map((_, i) => i + 1));
    expect(first.length).toBeLessThan(14);
    expect(t.stats()).toMatchObject({ sent: 0, dropped: 0 });

    // The page closes while those are still in flight: session_ended still gets through.
    pagehide(false);
    expect(net.calls.filter((c) => c.refused)).toEqual([]);
    expect(net.peak()).toBeLessThanOrEqual(BROWSER_KEEPALIVE_QUOTA);
    expect(net.calls.at(-1)!.body.events.map((e: any) => e.event_name)).toEqual(['session_ended']);
    expect(net.calls.at(-1)!.body.events[0].sequence_number).toBe(15);
    net.answerAll();
    await vi.waitFor(() => expect(t.stats().sent).toBe(first.length + 1));
    // What did not fit is still queued: nothing was dropped.
    expect(t.stats().dropped).toBe(0);
    setVisibility('visible');
    await t.destroy();
  });

  it('sends the rest of the queue once the page is visible again', async () => {
    const net = quotaFetch({ hold: () => false });
    const t = createTracker({ ...options, fetch: net.fetch });
    const filler = 'z'.repeat(10 * 1024);
    for (let i = 0; i < 14; i++) t.track('metrics_sampled', { filler });
    setVisibility('hidden');
    setVisibility('visible');
    await t.destroy();
    expect(net.calls.filter((c) => c.refused)).toEqual([]);
    expect(net.events().map((e) => e.sequence_number)).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
    expect(t.stats()).toMatchObject({ sent: 15, dropped: 0 });
  });

  it('keeps an event too large for a keepalive request queued for an ordinary one', async () => {
    const net = quotaFetch({ hold: () => false });
    const t = createTracker({ ...options, fetch: net.fetch });
    t.track('big', { filler: 'b'.repeat(100 * 1024) });
    setVisibility('hidden');
    expect(net.calls).toEqual([]);
    setVisibility('visible');
    await t.destroy();
    expect(net.events().map((e) => e.event_name)).toEqual(['big', 'session_ended']);
    expect(t.stats().dropped).toBe(0);
  });

  // A batch handed to the transport is off the queue: at page close it would be lost with the
  // page. It goes again with keepalive; the server flags the repeat by its sequence numbers.
  it('re-sends with keepalive on pagehide a batch still in flight', async () => {
    const net = quotaFetch({ hold: () => true });
    const t = createTracker({ ...options, fetch: net.fetch });
    t.track('paused');
    t.track('resumed');
    const flushed = t.flush();
    await vi.waitFor(() => expect(net.calls).toHaveLength(1));
    expect(net.calls[0].keepalive).toBe(false);
    pagehide(false);
    const again = net.calls.slice(1);
    expect(again.every((c) => c.keepalive && !c.refused)).toBe(true);
    expect(again.flatMap((c) => c.body.events.map((e: any) => [e.event_name, e.sequence_number]))).toEqual([
      ['paused', 1], ['resumed', 2], ['session_ended', 3],
    ]);
    for (const call of again) call.answer();
    await vi.waitFor(() => expect(t.stats().sent).toBe(3));
    net.calls[0].answer();
    await flushed;
    expect(t.stats()).toMatchObject({ sent: 3, dropped: 0 });  // the batch counts once
    await t.destroy();
  });

  it('re-sends with keepalive on pagehide a batch waiting to retry', async () => {
    const net = quotaFetch({ hold: (call) => call.keepalive, status: () => 503 });
    const sleeping: Array<() => void> = [];
    const t = createTracker({ ...options, fetch: net.fetch, retry: { sleep: () => new Promise<void>((r) => sleeping.push(r)) } });
    t.track('rebuffer_started');
    void t.flush();
    await vi.waitFor(() => expect(sleeping).toHaveLength(1));
    pagehide(false);
    const again = net.calls.filter((c) => c.keepalive);
    expect(again.flatMap((c) => c.body.events.map((e: any) => e.event_name))).toEqual(['rebuffer_started', 'session_ended']);
    for (const call of again) call.answer();
    await vi.waitFor(() => expect(t.stats()).toMatchObject({ sent: 2, dropped: 0 }));
  });

  it('destroy() on a hidden page sends with keepalive at once', async () => {
    const net = quotaFetch();
    const t = createTracker({ ...options, pageLifecycle: false, fetch: net.fetch });
    t.track('paused');
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
    const done = t.destroy();
    expect(net.calls.map((c) => [c.keepalive, c.body.events.map((e: any) => e.event_name)])).toEqual([
      [true, ['paused', 'session_ended']],
    ]);
    net.answerAll();
    await done;
    expect(t.stats()).toMatchObject({ sent: 2, dropped: 0 });
    setVisibility('visible');
  });

  // A hidden tab may be closed or discarded at any moment; a keepalive request that fails goes on
  // with the ordinary retries, since the page lived on.
  it('flushes with keepalive while hidden, and retries a failed keepalive request as an ordinary one', async () => {
    const net = quotaFetch({ hold: () => false, status: () => (net.calls.length === 1 ? 503 : 202) });
    const t = createTracker({ ...options, pageLifecycle: false, fetch: net.fetch, retry: { sleep: async () => undefined } });
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
    t.track('paused');
    t.track('big', { filler: 'b'.repeat(80 * 1024) });
    await t.flush();
    expect(net.calls.map((c) => [c.keepalive, c.body.events.map((e: any) => e.event_name)])).toEqual([
      [true, ['paused']], [false, ['paused']], [false, ['big']],
    ]);
    expect(t.stats()).toMatchObject({ sent: 2, dropped: 0 });
    setVisibility('visible');
    await t.destroy();
  });

  it('on pagehide (not persisted) ends the session and sends session_ended with keepalive', async () => {
    const net = fakeFetch();
    const t = createTracker({ ...options, fetch: net.fetch });
    t.track('playback_started');
    pagehide(false);
    expect(net.calls).toHaveLength(1);
    expect(net.calls[0].init.keepalive).toBe(true);
    expect(net.calls[0].body.events.map((e: any) => e.event_name)).toEqual(['playback_started', 'session_ended']);
    t.track('late');
    await t.destroy();
    expect(net.calls).toHaveLength(1);
  });

  it('on pagehide into the back/forward cache keeps the session going', async () => {
    const net = fakeFetch();
    const t = createTracker({ ...options, fetch: net.fetch });
    t.track('paused');
    pagehide(true);
    t.track('resumed');
    await t.destroy();
    expect(net.calls.flatMap((c) => c.body.events.map((e: any) => e.event_name))).toEqual(['paused', 'resumed', 'session_ended']);
  });

  it('a disabled tracker sends nothing on page hide', () => {
    const net = fakeFetch();
    const t = createTracker({ ...options, fetch: net.fetch, enabled: false });
    t.track('a');
    setVisibility('hidden');
    pagehide(false);
    expect(net.calls).toHaveLength(0);
  });
});
