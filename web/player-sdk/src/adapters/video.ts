import type { AdapterHandle, EventMeta, SessionBoundary, Tracker } from '../types';
import { monitorVideo, seconds, type MonitorOptions } from './playback';

export interface VideoAdapterOptions extends Pick<MonitorOptions, 'metricsIntervalMs'> {
  /**
   * Who loads the media: `native_hls` (Safari's built-in HLS, the default) or `unknown`. The
   * element exposes no manifest or segment loads, so the session is marked with the reference's
   * `network_signal_absent` boundaries for both.
   */
  adapter?: Extract<SessionBoundary['adapter'], 'native_hls' | 'unknown'>;
}

/** Reports a plain `<video>` element (native HLS in Safari, progressive files) into `tracker`. */
export function attachVideo(tracker: Tracker, video: HTMLMediaElement, options: VideoAdapterOptions = {}): AdapterHandle {
  const adapter = options.adapter ?? 'native_hls';
  const reason = adapter === 'native_hls' ? 'native_hls_unavailable' : 'browser_api_unavailable';
  tracker.addBoundary({ networkKind: 'manifest', adapter, reason });
  tracker.addBoundary({ networkKind: 'segment', adapter, reason });
  const monitor = monitorVideo(tracker, video, {
    metricsIntervalMs: options.metricsIntervalMs,
    videoErrors: true,
    sample: (): EventMeta => {
      // Safari maps EXT-X-PROGRAM-DATE-TIME to getStartDate(): latency = now - wall clock of the playhead.
      const start = (video as HTMLMediaElement & { getStartDate?: () => Date }).getStartDate?.();
      const at = start?.getTime();
      return video.duration === Infinity && at !== undefined && Number.isFinite(at)
        ? { live_latency_s: seconds((Date.now() - at) / 1000 - video.currentTime) }
        : {};
    },
  });
  return { detach: monitor.detach };
}
