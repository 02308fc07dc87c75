/**
 * The event vocabulary shared with the server's QoE and the dashboard (SPEC §8). Units are in the
 * meta keys: `_ms` integer milliseconds, `_s` seconds, `_bps` bits per second.
 */
export type PlaybackEventName =
  | 'play_requested'
  | 'manifest_loaded'
  | 'segment_loaded'
  | 'playback_started'
  | 'startup_time_measured'
  | 'bitrate_switch'
  | 'rebuffer_started'
  | 'rebuffer_ended'
  | 'seek_started'
  | 'seek_ended'
  | 'paused'
  | 'resumed'
  | 'playback_error'
  | 'metrics_sampled'
  | 'session_ended';

/** Flat meta: dotted keys (`network.kind`) are plain keys, not nesting. */
export type MetaValue = string | number | boolean | null;
export type EventMeta = Record<string, MetaValue>;

/** One event as it travels in a batch. */
export interface PlaybackEvent {
  event_name: string;
  project_id: string;
  session_id: string;
  client_timestamp: string;
  sequence_number: number;
  sdk: { name: string; version: string };
  meta?: EventMeta;
}

/** The `network_signal_absent` marker: a player that cannot observe manifest or segment loads. */
export interface SessionBoundary {
  kind: 'network_signal_absent';
  project_id: string;
  session_id: string;
  network_kind: 'manifest' | 'segment';
  adapter: 'hls.js' | 'native_hls' | 'unknown';
  reason:
    | 'native_hls_unavailable'
    | 'hlsjs_signal_unavailable'
    | 'browser_api_unavailable'
    | 'resource_timing_unavailable'
    | 'cors_timing_blocked'
    | 'service_worker_opaque';
  client_timestamp: string;
}

export interface BoundaryDraft {
  networkKind: SessionBoundary['network_kind'];
  adapter: SessionBoundary['adapter'];
  reason: SessionBoundary['reason'];
}

/** Counters of what the tracker did; `dropped` counts every event that will never be sent. */
export interface TrackerStats {
  queued: number;
  sent: number;
  dropped: number;
  /**
   * Events track() refused because the server would refuse their batch for them: a name off
   * `^[a-z][a-z0-9_.]{0,63}$` or a reserved meta key (`network.*`, `timing.*`,
   * `session_sample_rate`, `webrtc.*`) with a value the server does not accept. Also in `dropped`.
   */
  invalid: number;
}

export interface Tracker {
  readonly sessionId: string;
  /** 32 lowercase hex digits: the W3C trace id of this playback session. */
  readonly traceId: string;
  /** False when session sampling or consent excluded this session: nothing is sent. */
  readonly active: boolean;
  /** Queues one event; never touches the network synchronously. */
  track(name: PlaybackEventName | string, meta?: EventMeta): void;
  addBoundary(boundary: BoundaryDraft): void;
  /** Turns consent on or off at run time; off discards the queue and sends nothing more. */
  setEnabled(enabled: boolean): void;
  /** Sends everything queued, in order; resolves when done (failed batches are counted as dropped). */
  flush(): Promise<void>;
  /**
   * Queues `session_ended`, flushes (on a hidden page at once, with keepalive), and stops timers
   * and page listeners; resolves when every send has ended. Idempotent.
   */
  destroy(): Promise<void>;
  stats(): TrackerStats;
}

/** What `attach*` adapters return. */
export interface AdapterHandle {
  detach(): void;
}
