import { redactedUrlOrUndefined } from '../redact';
import { truncateUtf8 } from '../utf8';
import type { EventMeta, Tracker } from '../types';

/**
 * The `<video>` element half shared by every adapter: play request and startup time, rebuffers
 * (kept apart from seeks, pauses and startup), seeks, pause/resume, media errors and the periodic
 * `metrics_sampled`. Player adapters add what only the player knows through `sample`.
 */
export interface MonitorOptions {
  /** `metrics_sampled` period (default 10 000 ms; 0 disables). */
  metricsIntervalMs?: number;
  /** Report `<video>` `error` events (players that report media errors themselves turn it off). */
  videoErrors?: boolean;
  /** Player-specific metrics merged into each `metrics_sampled` (bitrate_bps, live_latency_s…). */
  sample?: () => EventMeta;
}

export interface VideoMonitor {
  /** Starts the startup clock now, as if the viewer pressed play (WHEP connects on attach; autoplay). */
  requestPlay(): void;
  detach(): void;
}

const MEDIA_ERRORS = ['', 'MEDIA_ERR_ABORTED', 'MEDIA_ERR_NETWORK', 'MEDIA_ERR_DECODE', 'MEDIA_ERR_SRC_NOT_SUPPORTED'];

export const seconds = (value: number) => Math.round(value * 1000) / 1000;

/** Free text made safe for meta: at most 256 bytes, never shaped like "scheme:" (the server would redact it). */
export function safeText(value: unknown): string {
  const text = truncateUtf8(String(value ?? ''), 255);
  return /^[A-Za-z][A-Za-z0-9+.-]*:/.test(text) && !text.includes('://') ? text.replace(':', ' :') : text;
}

/** `meta` without its undefined entries. */
export function defined(meta: Record<string, string | number | boolean | null | undefined>): EventMeta {
  const out: EventMeta = {};
  for (const key in meta) if (meta[key] !== undefined) out[key] = meta[key] as EventMeta[string];
  return out;
}

/** Adds `network.redacted_url` when `url` is a URL that survives redaction. */
export function withUrl(meta: EventMeta, url: unknown): EventMeta {
  const redacted = redactedUrlOrUndefined(typeof url === 'string' ? url : undefined);
  if (redacted !== undefined) meta['network.redacted_url'] = redacted;
  return meta;
}

/** Seconds buffered ahead of the playhead in the buffered range that holds it. */
export function bufferAhead(video: HTMLMediaElement): number {
  const t = video.currentTime;
  const ranges = video.buffered;
  for (let i = 0; i < ranges.length; i++) {
    if (ranges.start(i) <= t + 0.1 && t <= ranges.end(i)) return Math.max(0, ranges.end(i) - t);
  }
  return 0;
}

export function frameCounts(video: HTMLMediaElement): EventMeta {
  const quality = (video as HTMLVideoElement).getVideoPlaybackQuality?.();
  return quality ? { dropped_frames: quality.droppedVideoFrames, decoded_frames: quality.totalVideoFrames } : {};
}

export function monitorVideo(tracker: Tracker, video: HTMLMediaElement, options: MonitorOptions = {}): VideoMonitor {
  const now = () => performance.now();
  let requestedAt: number | undefined;
  let started = false;
  let paused = false;
  let seekFrom: number | undefined;
  let seekAt = 0;
  let rebufferAt: number | undefined;
  let rebufferCount = 0;
  let rebufferTotalMs = 0;
  let playhead = video.currentTime;

  const position = (): EventMeta => ({ playhead_s: seconds(video.currentTime) });

  function requestPlay(): void {
    if (requestedAt !== undefined || started) return;
    requestedAt = now();
    tracker.track('play_requested', position());
  }

  function endRebuffer(): void {
    if (rebufferAt === undefined) return;
    const duration = Math.max(0, Math.round(now() - rebufferAt));
    rebufferAt = undefined;
    rebufferCount += 1;
    rebufferTotalMs += duration;
    tracker.track('rebuffer_ended', {
      duration_ms: duration, rebuffer_count: rebufferCount, total_rebuffer_duration_ms: rebufferTotalMs, ...position(),
    });
  }

  const handlers: Record<string, () => void> = {
    play() {
      if (!started) return requestPlay();
      if (paused) {
        paused = false;
        tracker.track('resumed', position());
      }
    },
    playing() {
      if (!started) {
        started = true;
        paused = false;
        tracker.track('playback_started', position());
        if (requestedAt !== undefined) {
          tracker.track('startup_time_measured', { duration_ms: Math.max(0, Math.round(now() - requestedAt)) });
        }
        return;
      }
      endRebuffer();
    },
    waiting() {
      if (!started || paused || seekFrom !== undefined || video.seeking || rebufferAt !== undefined) return;
      rebufferAt = now();
      tracker.track('rebuffer_started', position());
    },
    seeking() {
      // One seek from its first `seeking` to `seeked`: scrubbing fires `seeking` at every position.
      if (!started || seekFrom !== undefined) return;
      // During a stall the player moves the playhead itself to get going again, and always
      // forward: hls.js' gap-controller nudges it (_tryNudgeBuffer: + nudgeOffset steps) and skips
      // holes (_trySkipBufferHole: to the next buffered start + padding), its stream-controller
      // resyncs a live playhead that fell out of the window (synchronizeToLiveEdge: to
      // liveSyncPosition, ahead of it), its audio-stream-controller jumps to the alt-audio start
      // (+0.05 s); dash.js' GapController jumps gaps forward too. So while a rebuffer is open a
      // forward seek is part of the stall, and only a backward one is clearly the viewer's (a
      // viewer's forward seek then counts as stall until playback resumes).
      if (rebufferAt !== undefined && video.currentTime >= playhead) return;
      endRebuffer();
      seekFrom = playhead;
      seekAt = now();
      tracker.track('seek_started', { from_s: seconds(seekFrom), to_s: seconds(video.currentTime) });
    },
    seeked() {
      if (seekFrom === undefined) return;
      tracker.track('seek_ended', {
        from_s: seconds(seekFrom), to_s: seconds(video.currentTime), duration_ms: Math.max(0, Math.round(now() - seekAt)),
      });
      seekFrom = undefined;
      playhead = video.currentTime;
    },
    pause() {
      if (!started || paused || video.ended) return;
      endRebuffer();
      paused = true;
      tracker.track('paused', position());
    },
    timeupdate() {
      if (seekFrom === undefined && !video.seeking) playhead = video.currentTime;
    },
    error() {
      if (!options.videoErrors || !video.error) return;
      const code = video.error.code;
      tracker.track('playback_error', {
        fatal: true,
        error_type: 'media',
        error_code: MEDIA_ERRORS[code] ?? `media_error_${code}`,
        error_details: safeText(video.error.message || MEDIA_ERRORS[code]),
      });
    },
  };

  for (const [name, handler] of Object.entries(handlers)) video.addEventListener(name, handler);
  // Autoplay (the attribute, or a play() already under way) fires `play` only once enough is
  // buffered, right before `playing`: the startup clock starts now, at the instruction. An
  // element with future data that is not paused already plays: that is no new request.
  if (((video as HTMLVideoElement).autoplay || !video.paused) && video.readyState < 3) requestPlay();
  const intervalMs = options.metricsIntervalMs ?? 10_000;
  const timer = intervalMs > 0
    ? setInterval(() => {
        if (!started) return;
        const element = video as HTMLVideoElement;
        let extra: EventMeta | undefined;
        try {
          extra = options.sample?.();
        } catch {
          // A player's getters throw once it was reset (dash.js) or destroyed: sample the element alone.
        }
        tracker.track('metrics_sampled', {
          ...position(),
          buffer_length_s: seconds(bufferAhead(video)),
          ...frameCounts(video),
          ...(element.videoWidth ? { player_width: element.clientWidth, player_height: element.clientHeight } : {}),
          ...extra,
        });
      }, intervalMs)
    : undefined;

  return {
    requestPlay,
    detach() {
      for (const [name, handler] of Object.entries(handlers)) video.removeEventListener(name, handler);
      if (timer !== undefined) clearInterval(timer);
    },
  };
}
