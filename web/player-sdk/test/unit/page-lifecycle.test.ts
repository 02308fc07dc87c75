// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';
import { createTracker, MAX_KEEPALIVE_BYTES } from '../../src/tracker';
import { fakeFetch } from './helpers';

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
  it('on visibilitychange to hidden sends the queue with keepalive in requests of at most 60 KiB', async () => {
    const net = fakeFetch();
    const t = createTracker({ ...options, fetch: net.fetch });
    const filler = 'z'.repeat(10 * 1024);
    for (let i = 0; i < 14; i++) t.track('metrics_sampled', { filler });
    setVisibility('hidden');
    expect(net.calls.length).toBeGreaterThanOrEqual(3);
    for (const call of net.calls) {
      expect(call.init.keepalive).toBe(true);
      expect(new TextEncoder().encode(call.init.body as string).length).toBeLessThanOrEqual(MAX_KEEPALIVE_BYTES);
    }
    expect(net.calls.flatMap((c) => c.body.events).length).toBe(14);
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
