// Benchmark, not a test: builds dist/, then prints the gzip size of each bundle and the cost of
// track() per event, each beside its budget (SPEC §6: core <= 12 KiB gzip, track() <= 20 µs).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { createTracker } from '../src/tracker';

const root = fileURLToPath(new URL('..', import.meta.url));
execFileSync(process.execPath, [`${root}node_modules/tsx/dist/cli.mjs`, `${root}scripts/build.ts`], { stdio: 'ignore' });

const kib = (bytes: number) => `${(bytes / 1024).toFixed(2)} KiB`;
const gzipped = (file: string) => gzipSync(readFileSync(`${root}dist/${file}`), { level: 9 }).length;
const bundles: Array<[string, string, string]> = [
  ['core gzip (dist/index.js)', 'index.js', '12 KiB'],
  ['hls.js adapter gzip (dist/hlsjs.js)', 'hlsjs.js', 'none, reported'],
  ['dash.js adapter gzip (dist/dashjs.js)', 'dashjs.js', 'none, reported'],
  ['video adapter gzip (dist/video.js)', 'video.js', 'none, reported'],
  ['WHEP adapter gzip (dist/whep.js)', 'whep.js', 'none, reported'],
  ['script-tag bundle gzip (dist/mtrace.iife.js)', 'mtrace.iife.js', 'none, reported'],
];
for (const [name, file, budget] of bundles) console.log(`${name}: ${kib(gzipped(file))} (budget: ${budget})`);

// track() on a realistic event; the transport is a no-op so only the SDK's own work is timed.
function measure(events: number): number {
  const tracker = createTracker({
    endpoint: 'http://127.0.0.1:9/api/playback-events', token: 'demo-token', projectId: 'demo',
    batchSize: 100, maxQueueEvents: events, flushIntervalMs: 0, pageLifecycle: false,
    meta: { content_id: 'bench', player_name: 'hls.js' },
    transport: { send: async () => undefined },
  });
  const meta = { 'network.kind': 'segment', 'network.detail_status': 'available', 'network.redacted_url': 'https://cdn.example.com/live/high/seg_001.m4s', level: 1, bytes: 250_000, duration_ms: 80 };
  const start = process.hrtime.bigint();
  for (let i = 0; i < events; i++) tracker.track('segment_loaded', meta);
  return Number(process.hrtime.bigint() - start) / 1000 / events;
}

measure(20_000);  // warm-up
const runs = Array.from({ length: 5 }, () => measure(100_000)).sort((a, b) => a - b);
console.log(`track() per event (median of 5 x 100000): ${runs[2].toFixed(3)} µs (budget: 20 µs)`);

// Building and serializing batches happens at flush time, off the player's event path.
const tracker = createTracker({
  endpoint: 'http://127.0.0.1:9/x', token: 't', projectId: 'demo', batchSize: 100, maxQueueEvents: 100_000,
  flushIntervalMs: 0, pageLifecycle: false, transport: { send: async () => undefined },
});
for (let i = 0; i < 100_000; i++) tracker.track('metrics_sampled', { playhead_s: i, buffer_length_s: 4.5, dropped_frames: 0, decoded_frames: i * 25, bitrate_bps: 1_000_000 });
const flushStart = process.hrtime.bigint();
await tracker.flush();
console.log(`flush (batch build + JSON) per event: ${(Number(process.hrtime.bigint() - flushStart) / 1000 / 100_000).toFixed(3)} µs (budget: none, off the event path)`);
