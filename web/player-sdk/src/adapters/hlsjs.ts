import type { AdapterHandle, Tracker } from '../types';
import { defined, monitorVideo, safeText, seconds, withUrl, type MonitorOptions } from './playback';

/** The part of an hls.js instance the adapter uses (hls.js is not bundled: pass your instance). */
export interface HlsLike {
  on(event: string, listener: (event: string, data: any) => void): void;
  off(event: string, listener: (event: string, data: any) => void): void;
  readonly levels: ReadonlyArray<{ bitrate: number; width?: number; height?: number; details?: { live?: boolean } }>;
  readonly currentLevel: number;
  readonly latency?: number;
  readonly media?: HTMLMediaElement | null;
}

export type HlsJsAdapterOptions = Pick<MonitorOptions, 'metricsIntervalMs'>;

/** How many fragment keys the duplicate filter remembers (hls.js may report a fragment twice). */
const SEEN_FRAGMENTS = 512;

function loadMs(stats: any): number | undefined {
  const start = stats?.loading?.start;
  const end = stats?.loading?.end;
  return typeof start === 'number' && typeof end === 'number' && end >= start ? Math.round(end - start) : undefined;
}

/** Reports an hls.js player and its `<video>` element into `tracker`. */
export function attachHlsJs(tracker: Tracker, hls: HlsLike, video?: HTMLMediaElement, options: HlsJsAdapterOptions = {}): AdapterHandle {
  const media = video ?? hls.media;
  if (!media) throw new Error('m-trace: attachHlsJs needs the video element (or hls.attachMedia first)');
  const seen = new Set<string>();
  let level: number | undefined;

  const currentBitrate = () => hls.levels[hls.currentLevel]?.bitrate;
  const monitor = monitorVideo(tracker, media, {
    metricsIntervalMs: options.metricsIntervalMs,
    videoErrors: false,
    sample: () => {
      const live = hls.levels[hls.currentLevel]?.details?.live;
      const latency = hls.latency;
      return defined({
        bitrate_bps: currentBitrate(),
        live_latency_s: live && typeof latency === 'number' && Number.isFinite(latency) ? seconds(latency) : undefined,
      });
    },
  });

  // Given a media playlist as its source, hls.js fires MANIFEST_LOADED (one level, its details
  // parsed) and then LEVEL_LOADED for the same response with the same stats object: one fetch.
  let manifestStats: unknown;

  const listeners: Record<string, (event: string, data: any) => void> = {
    hlsManifestLoaded(_e, data) {
      manifestStats = data?.stats;
      const levels = Array.isArray(data?.levels) ? data.levels : undefined;
      const media = levels?.length === 1 ? levels[0]?.details : undefined;
      tracker.track('manifest_loaded', withUrl(defined({
        'network.kind': 'manifest', 'network.detail_status': 'available', manifest_type: media ? 'media' : 'multivariant',
        level_count: levels?.length, live: media ? media.live === true : undefined, duration_ms: loadMs(data?.stats),
      }), data?.url));
    },
    hlsLevelLoaded(_e, data) {
      if (data?.stats !== undefined && data.stats === manifestStats) return;
      tracker.track('manifest_loaded', withUrl(defined({
        'network.kind': 'manifest', 'network.detail_status': 'available', manifest_type: 'media',
        level: typeof data?.level === 'number' ? data.level : undefined, live: data?.details?.live === true,
        duration_ms: loadMs(data?.stats),
      }), data?.details?.url));
    },
    hlsFragLoaded(_e, data) {
      const frag = data?.frag;
      if (!frag) return;
      const isInit = frag.sn === 'initSegment';
      if (frag.sn !== undefined) {
        const key = `${frag.level ?? -1}|${frag.type ?? ''}|${frag.cc ?? -1}|${frag.sn}`;
        if (seen.has(key)) return;
        if (seen.size >= SEEN_FRAGMENTS) seen.delete(seen.values().next().value as string);
        seen.add(key);
      }
      tracker.track('segment_loaded', withUrl(defined({
        'network.kind': 'segment', 'network.detail_status': 'available', is_init: isInit || undefined,
        media_type: typeof frag.type === 'string' ? frag.type : undefined,
        level: typeof frag.level === 'number' ? frag.level : undefined,
        segment_duration_s: !isInit && typeof frag.duration === 'number' ? seconds(frag.duration) : undefined,
        bytes: typeof frag.stats?.loaded === 'number' ? frag.stats.loaded : undefined,
        duration_ms: loadMs(frag.stats),
      }), frag.url));
    },
    hlsLevelSwitched(_e, data) {
      const next = data?.level;
      const info = hls.levels[next];
      if (typeof next !== 'number' || !info) return;
      const previous = level === undefined ? undefined : hls.levels[level];
      level = next;
      if (!previous || previous === info) return;  // the first selection is not a switch
      tracker.track('bitrate_switch', defined({
        bitrate_bps: info.bitrate, width: info.width, height: info.height, level: next,
        previous_bitrate_bps: previous.bitrate, direction: info.bitrate >= previous.bitrate ? 'up' : 'down',
      }));
    },
    hlsError(_e, data) {
      const status = data?.response?.code;
      tracker.track('playback_error', defined({
        fatal: data?.fatal === true,
        error_type: safeText(data?.type ?? 'unknown'),
        error_details: safeText(data?.details ?? 'unknown'),
        error_code: safeText(data?.details ?? data?.type ?? 'unknown'),
        error_message: data?.error?.message ? safeText(data.error.message) : undefined,
        http_status: typeof status === 'number' && status > 0 ? status : undefined,
      }));
    },
  };
  for (const [name, fn] of Object.entries(listeners)) hls.on(name, fn);

  return {
    detach() {
      for (const [name, fn] of Object.entries(listeners)) hls.off(name, fn);
      monitor.detach();
    },
  };
}
