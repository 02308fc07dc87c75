import type { AdapterHandle, Tracker } from '../types';
import { defined, monitorVideo, safeText, seconds, withUrl, type MonitorOptions } from './playback';

interface RepresentationLike { bandwidth?: number; width?: number; height?: number; absoluteIndex?: number; index?: number }

/** The part of a dash.js 5 MediaPlayer the adapter uses (dash.js is not bundled: pass your player). */
export interface DashPlayerLike {
  on(type: any, listener: any, scope?: object): void;
  off(type: any, listener: any, scope?: object): void;
  getVideoElement(): HTMLVideoElement;
  isDynamic(): boolean;
  getCurrentLiveLatency(): number;
  /** Both in dash.js 5; optional so that a player without them only loses the autoplay clock. */
  getAutoPlay?(): boolean;
  isReady?(): boolean;
}

export type DashJsAdapterOptions = Pick<MonitorOptions, 'metricsIntervalMs'>;

/**
 * dash.js 5 `error` codes after which playback does not go on (core/errors/Errors.js and
 * protection/errors/ProtectionErrors.js): the MPD (10 and 11 parsing/loading, 25 download, 31
 * parse, 32 no streams, 34 multiplexed), MediaSource and capabilities (23 no MediaSource, 24 no
 * MediaKeys, 35 unsupported source buffer type), key systems (36 no usable key ids, 100-114), and
 * the media element's codes 1-5, which StreamController re-raises from a playbackError before it
 * resets the player. Fragment, sidx, xlink, time-sync, text and SourceBuffer errors are retried
 * or skipped by dash.js: not fatal.
 */
const FATAL_CODES = new Set([1, 2, 3, 4, 5, 10, 11, 23, 24, 25, 31, 32, 34, 35, 36]);
const isFatal = (code: unknown) =>
  typeof code === 'number' && (FATAL_CODES.has(code) || (code >= 100 && code <= 114));

const idOf = (id: unknown) => (typeof id === 'string' && id !== '') || Number.isFinite(id) ? String(id) : undefined;

const elapsedMs = (from: unknown, to: unknown) =>
  from instanceof Date && to instanceof Date && to >= from ? to.getTime() - from.getTime() : undefined;

/** Reports a dash.js 5 MediaPlayer and its `<video>` element into `tracker`. */
export function attachDashJs(tracker: Tracker, player: DashPlayerLike, video?: HTMLMediaElement, options: DashJsAdapterOptions = {}): AdapterHandle {
  const media = video ?? player.getVideoElement();
  if (!media) throw new Error('m-trace: attachDashJs needs the video element (or player.attachView first)');
  const levelOf = (r: RepresentationLike) => r.absoluteIndex ?? r.index;
  // The video representation on screen: dash.js' getCurrentRepresentationForType() answers the
  // one requested, whose segments may not play for a buffer's length yet.
  let rendered: RepresentationLike | undefined;

  const monitor = monitorVideo(tracker, media, {
    metricsIntervalMs: options.metricsIntervalMs,
    videoErrors: false,
    sample: () => {
      const bitrate = rendered?.bandwidth;
      const meta = defined({ bitrate_bps: typeof bitrate === 'number' && Number.isFinite(bitrate) ? bitrate : undefined });
      const latency = player.isDynamic() ? player.getCurrentLiveLatency() : NaN;
      if (Number.isFinite(latency)) meta.live_latency_s = seconds(latency);
      return meta;
    },
  });

  // dash.js autoplays by default and then calls play() only once its initial buffer is filled,
  // so the element's `play` comes right before `playing`. The instruction to play is the MPD load
  // (dash.js' own CMCD reporter starts its clock at manifestLoadingStarted when autoplaying); a
  // source attached before this adapter was instructed already: the clock starts at attach.
  const autoplay = () => player.getAutoPlay?.() === true;
  if (autoplay() && player.isReady?.()) monitor.requestPlay();

  const listeners: Record<string, (e: any) => void> = {
    manifestLoadingStarted() {
      if (autoplay()) monitor.requestPlay();
    },
    manifestLoaded(e) {
      tracker.track('manifest_loaded', withUrl(defined({
        'network.kind': 'manifest', 'network.detail_status': 'available', manifest_type: 'mpd',
        live: e?.data?.type === 'dynamic',
      }), e?.data?.url));
    },
    fragmentLoadingCompleted(e) {
      const request = e?.request;
      if (!request || e?.error) return;
      const isInit = request.type === 'InitializationSegment';
      tracker.track('segment_loaded', withUrl(defined({
        'network.kind': 'segment', 'network.detail_status': 'available', is_init: isInit || undefined,
        media_type: typeof request.mediaType === 'string' ? request.mediaType : undefined,
        representation_id: idOf(request.representation?.id),
        segment_duration_s: !isInit && Number.isFinite(request.duration) ? seconds(request.duration) : undefined,
        bytes: Number.isFinite(request.bytesLoaded) ? request.bytesLoaded : undefined,
        // dash.js 5 FragmentRequest: startDate (request sent), firstByteDate, endDate (last byte).
        duration_ms: elapsedMs(request.startDate, request.endDate),
      }), request.url));
    },
    qualityChangeRendered(e) {
      const next: RepresentationLike | undefined = e?.newRepresentation;
      const previous: RepresentationLike | undefined = e?.oldRepresentation;
      if (e?.mediaType !== 'video' || !next || typeof next.bandwidth !== 'number') return;
      rendered = next;
      if (!previous || typeof previous.bandwidth !== 'number') return;  // the first selection is not a switch
      tracker.track('bitrate_switch', defined({
        bitrate_bps: next.bandwidth, width: next.width, height: next.height, level: levelOf(next),
        previous_bitrate_bps: previous.bandwidth, direction: next.bandwidth >= previous.bandwidth ? 'up' : 'down',
      }));
    },
    error(e) {
      const error = e?.error ?? {};
      tracker.track('playback_error', defined({
        fatal: isFatal(error.code),
        error_type: 'dashjs',
        error_code: safeText(error.code ?? 'unknown'),
        error_details: safeText(error.message ?? 'unknown'),
      }));
    },
    playbackError(e) {
      const error = e?.error ?? {};
      tracker.track('playback_error', defined({
        fatal: true,
        error_type: 'media',
        error_code: safeText(error.code ?? 'unknown'),
        error_details: safeText(error.message || 'media error'),
      }));
    },
  };
  for (const [name, fn] of Object.entries(listeners)) player.on(name, fn);

  return {
    detach() {
      for (const [name, fn] of Object.entries(listeners)) player.off(name, fn);
      monitor.detach();
    },
  };
}
