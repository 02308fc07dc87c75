// The WHEP adapter against a real WebRTC peer: a second Chromium page sends a canvas stream, the
// WHEP signalling goes through a Node relay on loopback, and the SDK reports getStats() samples
// into the real server (MTRACE_BIN) or the strict collector. Detaching stops the samples and
// DELETEs the WHEP resource.
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBackend, type Backend } from './support/backend';
import { launchChromium } from './support/browser';
import { startMediaServer, type MediaServer } from './support/media-server';
import { distDir } from './support/paths';
import { createWhepRelay, type WhepRelay } from './support/whep-relay';

let relay: WhepRelay;
let server: MediaServer;
let backend: Backend;
let browser: Awaited<ReturnType<typeof launchChromium>>;

beforeAll(async () => {
  if (!existsSync(`${distDir}/whep.js`)) throw new Error('run `npm run build` first: the browser tests load dist/');
  relay = createWhepRelay();
  server = await startMediaServer(relay.route);
  backend = await startBackend(server.origin);
  browser = await launchChromium([
    // Chromium gathers loopback candidates only for pages with camera permission (faked here).
    '--allow-loopback-in-peer-connection', '--disable-features=WebRtcHideLocalIpsWithMdns',
    '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream',
  ]);
});

afterAll(async () => {
  await browser?.close();
  await backend?.stop();
  await server?.stop();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('WHEP adapter with a real WebRTC peer', () => {
  it('reports getStats() samples with webrtc.* keys and stops them on detach', async () => {
    const sender = await browser.context.newPage();
    await sender.goto(`${server.origin}/whep-sender.html`);
    await sender.waitForFunction('window.__ready === true');
    const receiver = await browser.context.newPage();
    const pageErrors: string[] = [];
    receiver.on('pageerror', (error) => pageErrors.push(error.message));
    await receiver.goto(`${server.origin}/whep-receiver.html?endpoint=${encodeURIComponent(backend.endpoint)}`);
    await receiver.waitForFunction('window.__connected || window.__failure', undefined, { timeout: 20_000 });
    expect(await receiver.evaluate(() => (window as any).__failure)).toBeUndefined();
    const ids = await receiver.evaluate(() => (window as any).__session);

    const samplesOf = async () => (await backend.readSession(ids.sessionId))?.events.filter((e) => e.event_name === 'metrics_sampled') ?? [];
    for (let i = 0; i < 100 && (await samplesOf()).length < 3; i++) await sleep(200);
    await receiver.evaluate(() => (window as any).__finish());
    const samples = await samplesOf();
    expect(samples.length).toBeGreaterThanOrEqual(3);
    expect(relay.deleted).toEqual(['/whep/resource/1']);

    // Detached: no sample more, though the sampling period passes three times.
    await sleep(3000);
    await receiver.evaluate(() => (window as any).__end());
    const session = (await backend.readSession(ids.sessionId))!;
    const events = [...session.events].sort((a, b) => a.sequence_number! - b.sequence_number!);
    const names = events.map((e) => e.event_name);
    expect(names.filter((n) => n === 'metrics_sampled')).toHaveLength(samples.length);
    expect(names.at(-1)).toBe('session_ended');
    expect(session.session.trace_id).toBe(ids.traceId);
    expect(names).not.toContain('playback_error');
    expect(names.indexOf('play_requested')).toBe(0);
    expect(names).toContain('playback_started');
    expect(events.find((e) => e.event_name === 'startup_time_measured')!.meta!.duration_ms).toBeGreaterThan(0);

    const sorted = samples.sort((a, b) => a.meta!['webrtc.sample_id'] - b.meta!['webrtc.sample_id']);
    expect(sorted.map((s) => s.meta!['webrtc.sample_id'])).toEqual(sorted.map((_, i) => i));
    const runIds = new Set(sorted.map((s) => s.meta!['webrtc.peer_connection_run_id']));
    expect(runIds.size).toBe(1);
    for (const sample of sorted) {
      expect(sample.meta).toMatchObject({
        'webrtc.connection_state': 'connected',
        'webrtc.dtls_state': 'connected',
        'webrtc.packets_lost': expect.any(Number),
        'webrtc.bytes_received': expect.any(Number),
        'webrtc.jitter_ms': expect.any(Number),
        'webrtc.frames_decoded': expect.any(Number),
        'webrtc.frames_dropped': expect.any(Number),
        'webrtc.freeze_count': expect.any(Number),
        'webrtc.rtt_ms': expect.any(Number),
      });
      for (const key of Object.keys(sample.meta!)) {
        if (key.startsWith('webrtc.')) expect(key).toMatch(/^webrtc\.(peer_connection_run_id|sample_id|packets_lost|bytes_received|bytes_sent|connection_state|ice_state|dtls_state|jitter_ms|rtt_ms|frames_decoded|frames_dropped|freeze_count|total_freezes_duration_ms|fps)$/);
      }
    }
    const last = sorted.at(-1)!.meta!;
    expect(last['webrtc.bytes_received']).toBeGreaterThan(sorted[0].meta!['webrtc.bytes_received']);
    expect(last['webrtc.frames_decoded']).toBeGreaterThan(sorted[0].meta!['webrtc.frames_decoded']);
    expect(last.bitrate_bps).toBeGreaterThan(0);
    expect(relay.problems).toEqual([]);
    expect(backend.problems()).toEqual([]);
    expect(pageErrors).toEqual([]);
    await receiver.close();
    await sender.close();
  });
});
