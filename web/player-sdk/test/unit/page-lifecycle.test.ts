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
