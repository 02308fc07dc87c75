// Real hls.js and dash.js play the FFmpeg test media from a loopback server; the SDK posts to the
// real `mtrace serve` (MTRACE_BIN) or to the strict loopback collector; a held-back segment
// forces a stall. The stored events must tell the story: startup time, segment loads, an upward
// bitrate switch, and a rebuffer with its duration.
import { existsSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBackend, type Backend, type StoredSession } from './support/backend';
import { launchChromium } from './support/browser';
import { ensureTestMedia, startMediaServer, type MediaServer } from './support/media-server';
import { distDir } from './support/paths';

const STALL_MS = 8000;

let media: MediaServer;
let backend: Backend;
let browser: Awaited<ReturnType<typeof launchChromium>>;

beforeAll(async () => {
  if (!existsSync(`${distDir}/mtrace.iife.js`)) throw new Error('run `npm run build` first: the browser tests load dist/');
  ensureTestMedia();
  media = await startMediaServer();
  backend = await startBackend(media.origin);
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await backend?.stop();
  await media?.stop();
});

async function waitFor(page: Page, condition: string, timeoutMs: number): Promise<void> {
  await page.waitForFunction(condition, undefined, { timeout: timeoutMs, polling: 100 });
}

async function play(pageName: string, stream: string, stalledSegment: RegExp): Promise<{ session: StoredSession; ids: { sessionId: string; traceId: string }; pageErrors: string[] }> {
  const page = await browser.context.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  media.stallOnce(stalledSegment, STALL_MS);
  await page.goto(`${media.origin}/${pageName}?stream=${encodeURIComponent(stream)}&endpoint=${encodeURIComponent(backend.endpoint)}`);
  await waitFor(page, 'window.__session && window.__state().currentTime > 1', 30_000);
  const ids = await page.evaluate(() => (window as any).__session);
  await page.evaluate(() => (window as any).__switchUp());
  // The high rendition's held-back segment stalls playback; wait until it resumed well past it.
  await waitFor(page, 'window.__state().currentTime > 11 || window.__state().ended', 60_000);
  await page.evaluate(() => (window as any).__finish());
  await page.close();
  let session: StoredSession | undefined;
  for (let i = 0; i < 50 && !session?.events.some((e) => e.event_name === 'session_ended'); i++) {
    session = await backend.readSession(ids.sessionId);
    if (!session?.events.some((e) => e.event_name === 'session_ended')) await new Promise((r) => setTimeout(r, 100));
  }
  expect(session, 'the session was stored').toBeDefined();
  return { session: session!, ids, pageErrors };
}

function expectPlaybackStory({ session, ids, pageErrors }: Awaited<ReturnType<typeof play>>, playerName: string): void {
  expect(pageErrors).toEqual([]);
  expect(backend.problems()).toEqual([]);
  const events = [...session.events].sort((a, b) => (a.sequence_number ?? 0) - (b.sequence_number ?? 0));
  const names = events.map((e) => e.event_name);
  const first = (name: string) => events.find((e) => e.event_name === name);
  const index = (name: string) => names.indexOf(name);

  // Every event arrived exactly once, in a gapless sequence from 1, on the session's one trace.
  expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i + 1));
  expect(session.session.trace_id).toBe(ids.traceId);
  for (const event of events) if (event.trace_id !== undefined) expect(event.trace_id).toBe(ids.traceId);
  expect(events[0].meta).toMatchObject({ player_name: playerName, content_id: `test-${playerName === 'hls.js' ? 'hls' : 'dash'}` });
  expect(names.at(-1)).toBe('session_ended');

  // Startup: play request, manifest, segments, first frame, measured startup time.
  expect(index('play_requested')).toBeGreaterThanOrEqual(0);
  expect(index('manifest_loaded')).toBeGreaterThanOrEqual(0);
  expect(index('playback_started')).toBeGreaterThan(index('play_requested'));
  const startup = first('startup_time_measured')!.meta!.duration_ms;
  expect(Number.isInteger(startup)).toBe(true);
  expect(startup).toBeGreaterThan(0);
  expect(startup).toBeLessThan(30_000);
  const segments = events.filter((e) => e.event_name === 'segment_loaded');
  expect(segments.length).toBeGreaterThanOrEqual(4);
  for (const segment of segments) {
    expect(segment.meta!['network.kind']).toBe('segment');
    expect(segment.meta!['network.redacted_url']).toMatch(new RegExp(`^${media.origin}/media/`));
  }

  // The upward switch to the 640x360 rendition.
  const up = events.find((e) => e.event_name === 'bitrate_switch' && e.meta!.direction === 'up');
  expect(up, `bitrate_switch up in ${names.join(',')}`).toBeDefined();
  expect(up!.meta).toMatchObject({ width: 640, height: 360 });
  expect(up!.meta!.bitrate_bps).toBeGreaterThan(up!.meta!.previous_bitrate_bps);

  // The stall: after the first frame, closed with a duration near the held-back time. (A loaded
  // machine may add a short stall of its own; the held-back segment gives the longest one.)
  const starts = events.filter((e) => e.event_name === 'rebuffer_started');
  const ends = events.filter((e) => e.event_name === 'rebuffer_ended');
  expect(starts.length, `rebuffer_started in ${names.join(',')}`).toBeGreaterThanOrEqual(1);
  expect(ends).toHaveLength(starts.length);
  expect(index('rebuffer_started')).toBeGreaterThan(index('startup_time_measured'));
  expect(ends.map((e) => e.meta!.rebuffer_count)).toEqual(ends.map((_, i) => i + 1));
  const longest = Math.max(...ends.map((e) => e.meta!.duration_ms));
  expect(longest).toBeGreaterThanOrEqual(1000);
  expect(longest).toBeLessThanOrEqual(STALL_MS + 2000);
  expect(ends.at(-1)!.meta!.total_rebuffer_duration_ms).toBe(ends.reduce((sum, e) => sum + e.meta!.duration_ms, 0));

  const sample = first('metrics_sampled');
  expect(sample?.meta).toMatchObject({ playhead_s: expect.any(Number), buffer_length_s: expect.any(Number), decoded_frames: expect.any(Number), bitrate_bps: expect.any(Number) });
}

describe(`playback through the SDK into ${process.env.MTRACE_BIN ? 'mtrace serve' : 'the loopback collector'}`, () => {
  it('hls.js (fMP4, script-tag bundle)', async () => {
    expectPlaybackStory(await play('hls.html', 'hls-fmp4/master.m3u8', /\/high\/seg_\d+\.m4s$/), 'hls.js');
  });

  it('dash.js 5 (ES modules)', async () => {
    expectPlaybackStory(await play('dash.html', 'dash/manifest.mpd', /\/chunk-stream1-\d+\.m4s$/), 'dash.js');
  });
});
