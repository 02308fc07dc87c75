// @vitest-environment happy-dom
// The adapter against the real hls.js event emitter and event names (Hls.Events), with the
// level list stubbed on the instance (no MediaSource here to build it).
import Hls from 'hls.js';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { attachHlsJs } from '../../src/adapters/hlsjs';
import { FakeVideo, recordingTracker } from './helpers';

const levels = [
  { bitrate: 400_000, width: 320, height: 180, details: { live: false } },
  { bitrate: 1_000_000, width: 640, height: 360, details: { live: false } },
];

function setup() {
  const hls = new Hls();
  let current = 0;
  Object.defineProperty(hls, 'levels', { get: () => levels });
  Object.defineProperty(hls, 'currentLevel', { get: () => current, set: (v) => { current = v; } });
  const video = new FakeVideo();
  const tracker = recordingTracker();
  const handle = attachHlsJs(tracker, hls, video.asMedia(), { metricsIntervalMs: 1000 });
  return { hls, video, tracker, handle, setLevel: (l: number) => { current = l; } };
}

afterEach(() => vi.useRealTimers());

/** An hls.js loader answering every URL with `text`, as hls.js' own XHR loader would (one fetch each). */
function textLoader(text: string, fetched: string[]) {
  return class {
    stats = { aborted: false, loaded: 0, total: 0, retry: 0, chunkCount: 0, bwEstimate: 0, loading: { start: 0, first: 0, end: 0 }, parsing: { start: 0, end: 0 }, buffering: { start: 0, first: 0, end: 0 } };
    context: any = null;
    load(context: any, _config: unknown, callbacks: any) {
      this.context = context;
      fetched.push(context.url);
      this.stats.loading = { start: 100, first: 104, end: 107 };
      this.stats.loaded = this.stats.total = text.length;
      setTimeout(() => callbacks.onSuccess({ url: context.url, data: text }, this.stats, context, null), 0);
    }
    abort() {}
    destroy() {}
    getCacheAge() { return null; }
    getResponseHeader() { return null; }
  };
}

describe('hls.js adapter', () => {
  it('reports manifest and segment loads with redacted URLs, deduplicating repeated fragments', () => {
    const { hls, tracker } = setup();
    const stats = (start: number, end: number, loaded = 1000) => ({ loading: { start, first: start, end }, parsing: { start: end, end }, buffering: { start: 0, first: 0, end: 0 }, loaded, total: loaded, aborted: false, retry: 0, chunkCount: 0, bwEstimate: 0 });
    hls.trigger(Hls.Events.MANIFEST_LOADED, { url: 'https://cdn.example.com/live/master.m3u8?token=abc', levels: [], audioTracks: [], subtitles: [], captions: [], sessionData: null, sessionKeys: null, contentSteering: null, startTimeOffset: null, variableList: null, stats: stats(10, 35), networkDetails: null } as any);
    hls.trigger(Hls.Events.LEVEL_LOADED, { level: 1, id: 1, details: { url: 'https://cdn.example.com/live/high/index.m3u8', live: false, fragments: [] }, stats: stats(40, 42), networkDetails: null, deliveryDirectives: null, levelInfo: {} } as any);
    const frag = { sn: 3, cc: 0, level: 1, type: 'main', duration: 2, url: 'https://cdn.example.com/live/0123456789abcdef0123456789abcdef/seg_003.m4s', stats: stats(100, 180, 250_000) };
    const init = { sn: 'initSegment', level: 1, type: 'main', url: 'https://cdn.example.com/live/init.mp4', stats: stats(50, 51, 800) };
    hls.trigger(Hls.Events.FRAG_LOADED, { frag, payload: new ArrayBuffer(0), networkDetails: null } as any);
    hls.trigger(Hls.Events.FRAG_LOADED, { frag, payload: new ArrayBuffer(0), networkDetails: null } as any);
    hls.trigger(Hls.Events.FRAG_LOADED, { frag: init, payload: new ArrayBuffer(0), networkDetails: null } as any);
    // hls.js' level controller answers the empty level list with its own (asynchronous) error.
    expect(tracker.events.filter((e) => e.name !== 'playback_error')).toEqual([
      { name: 'manifest_loaded', meta: { 'network.kind': 'manifest', 'network.detail_status': 'available', manifest_type: 'multivariant', level_count: 0, duration_ms: 25, 'network.redacted_url': 'https://cdn.example.com/live/master.m3u8' } },
      { name: 'manifest_loaded', meta: { 'network.kind': 'manifest', 'network.detail_status': 'available', manifest_type: 'media', level: 1, live: false, duration_ms: 2, 'network.redacted_url': 'https://cdn.example.com/live/high/index.m3u8' } },
      { name: 'segment_loaded', meta: { 'network.kind': 'segment', 'network.detail_status': 'available', media_type: 'main', level: 1, segment_duration_s: 2, bytes: 250_000, duration_ms: 80, 'network.redacted_url': 'https://cdn.example.com/live/:redacted/seg_003.m4s' } },
      { name: 'segment_loaded', meta: { 'network.kind': 'segment', 'network.detail_status': 'available', is_init: true, media_type: 'main', level: 1, bytes: 800, duration_ms: 1, 'network.redacted_url': 'https://cdn.example.com/live/init.mp4' } },
    ]);
  });

  // Given a media playlist as its source, hls.js fires MANIFEST_LOADED (a one-level list) and
  // then LEVEL_LOADED for the same response, with the same stats object (playlist-loader.ts).
  it('reports a media playlist loaded as the source once', async () => {
    const fetched: string[] = [];
    const playlist = '#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:0\n#EXTINF:2.0,\nseg0.ts\n#EXTINF:2.0,\nseg1.ts\n#EXT-X-ENDLIST\n';
    const hls = new Hls({ loader: textLoader(playlist, fetched) as any });
    const tracker = recordingTracker();
    attachHlsJs(tracker, hls, new FakeVideo().asMedia(), { metricsIntervalMs: 0 });
    let levelLoaded = 0;
    hls.on(Hls.Events.LEVEL_LOADED, () => void levelLoaded++);
    hls.loadSource('https://cdn.example.com/vod/index.m3u8?token=abc');
    await vi.waitFor(() => expect(levelLoaded).toBe(1));
    expect(fetched).toEqual(['https://cdn.example.com/vod/index.m3u8?token=abc']);
    expect(tracker.events.filter((e) => e.name === 'manifest_loaded')).toEqual([
      { name: 'manifest_loaded', meta: { 'network.kind': 'manifest', 'network.detail_status': 'available', manifest_type: 'media', level_count: 1, live: false, duration_ms: 7, 'network.redacted_url': 'https://cdn.example.com/vod/index.m3u8' } },
    ]);
    hls.destroy();
  });

  it('reports bitrate switches with bitrate, resolution, level and direction, not the first selection', () => {
    const { hls, tracker } = setup();
    hls.trigger(Hls.Events.LEVEL_SWITCHED, { level: 0 } as any);
    hls.trigger(Hls.Events.LEVEL_SWITCHED, { level: 1 } as any);
    hls.trigger(Hls.Events.LEVEL_SWITCHED, { level: 0 } as any);
    expect(tracker.events).toEqual([
      { name: 'bitrate_switch', meta: { bitrate_bps: 1_000_000, width: 640, height: 360, level: 1, previous_bitrate_bps: 400_000, direction: 'up' } },
      { name: 'bitrate_switch', meta: { bitrate_bps: 400_000, width: 320, height: 180, level: 0, previous_bitrate_bps: 1_000_000, direction: 'down' } },
    ]);
  });

  it('tells fatal from non-fatal errors with type, details and HTTP status', () => {
    const { hls, tracker } = setup();
    hls.trigger(Hls.Events.ERROR, { type: Hls.ErrorTypes.MEDIA_ERROR, details: Hls.ErrorDetails.BUFFER_STALLED_ERROR, fatal: false } as any);
    hls.trigger(Hls.Events.ERROR, { type: Hls.ErrorTypes.NETWORK_ERROR, details: Hls.ErrorDetails.FRAG_LOAD_ERROR, fatal: true, response: { code: 404, text: 'Not Found' }, error: new Error('HTTP Error 404 Not Found') } as any);
    expect(tracker.events).toEqual([
      { name: 'playback_error', meta: { fatal: false, error_type: 'mediaError', error_details: 'bufferStalledError', error_code: 'bufferStalledError' } },
      { name: 'playback_error', meta: { fatal: true, error_type: 'networkError', error_details: 'fragLoadError', error_code: 'fragLoadError', error_message: 'HTTP Error 404 Not Found', http_status: 404 } },
    ]);
  });

  it('samples buffer, playhead, frames, bitrate and live latency every interval once playing', async () => {
    vi.useFakeTimers();
    const { video, tracker, setLevel } = setup();
    setLevel(1);
    await vi.advanceTimersByTimeAsync(1000);
    expect(tracker.names()).toEqual([]);
    video.emit('play');
    video.currentTime = 4;
    video.bufferedEnd = 10;
    video.quality = { droppedVideoFrames: 3, totalVideoFrames: 100 };
    video.emit('playing');
    await vi.advanceTimersByTimeAsync(1000);
    const sample = tracker.events.find((e) => e.name === 'metrics_sampled')!;
    expect(sample.meta).toEqual({ playhead_s: 4, buffer_length_s: 6, dropped_frames: 3, decoded_frames: 100, player_width: 640, player_height: 360, bitrate_bps: 1_000_000 });
    levels[1].details.live = true;
    Object.defineProperty(Hls.prototype, 'latency', { configurable: true, get: () => 3.2 });
    await vi.advanceTimersByTimeAsync(1000);
    expect(tracker.events.at(-1)!.meta.live_latency_s).toBe(3.2);
    levels[1].details.live = false;
  });

  it('detach() removes every listener', async () => {
    vi.useFakeTimers();
    const { hls, video, tracker, handle } = setup();
    handle.detach();
    hls.trigger(Hls.Events.LEVEL_SWITCHED, { level: 0 } as any);
    hls.trigger(Hls.Events.ERROR, { type: 'networkError', details: 'x', fatal: true } as any);
    video.emit('play');
    video.emit('playing');
    await vi.advanceTimersByTimeAsync(5000);
    expect(tracker.events).toEqual([]);
  });
});
