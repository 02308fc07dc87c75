// Shapes of the read API (reference/backend.md §3.5 and docs/decisions.md). Every field the
// server may omit is optional, and views tolerate anything missing.

export type SessionState = 'active' | 'stalled' | 'ended' | string;

export interface NetworkSignalAbsent {
  kind: string;
  adapter: string;
  reason: string;
}

export interface Dimensions {
  content_id?: string;
  content_title?: string;
  player_name?: string;
  player_version?: string;
  browser_family?: string;
  os_family?: string;
}

// src/domain/qoe.h in snake_case.
export interface Qoe {
  startup_ms?: number | null;
  started?: boolean;
  failed_before_start?: boolean;
  rebuffer_per_minute?: number;
  rebuffer_count?: number;
  rebuffer_ms?: number;
  rebuffer_ratio?: number;
  watch_ms?: number;
  bitrate_switches?: number;
  average_bitrate_bps?: number | null;
  time_weighted_bitrate_bps?: number | null;
  dropped_frames?: number;
  live_latency_s?: number | null;
  startup_score?: number | null;
  smoothness_score?: number | null;
  quality_score?: number | null;
  failed?: boolean;
  exited_before_start?: boolean;
}

export interface Finding {
  code?: string;
  level?: string;
  message?: string;
}

export interface Analysis {
  analyzerVersion?: string;
  playlistType?: string;
  input?: { source?: string; url?: string };
  findings?: Finding[];
}

export interface StreamSession {
  session_id: string;
  project_id: string;
  state: SessionState;
  started_at: string;
  last_event_at?: string;
  ended_at?: string;
  end_source?: string | null;
  event_count?: number;
  correlation_id?: string;
  trace_id?: string;
  network_signal_absent?: NetworkSignalAbsent[];
  sample_rate_ppm?: number;
  dimensions?: Dimensions;
  error_count?: number;
  last_error_code?: string;
  qoe?: Qoe;
  analyses?: Analysis[];
}

export type Meta = Record<string, unknown>;

export interface PlaybackEvent {
  event_name: string;
  project_id: string;
  session_id: string;
  client_timestamp?: string;
  server_received_at: string;
  ingest_sequence: number;
  sequence_number?: number;
  sdk?: { name?: string; version?: string };
  meta?: Meta;
  correlation_id?: string;
  trace_id?: string;
  delivery_status?: string;
  time_skew_warning?: boolean;
  after_session_end?: boolean;
}

export interface SessionPage {
  sessions: StreamSession[];
  next_cursor?: string;
}

export interface SessionDetail {
  session: StreamSession;
  events: PlaybackEvent[];
  next_cursor?: string;
}

export interface EventPage {
  events: PlaybackEvent[];
  next_cursor?: string;
}

export interface AppConfig {
  version?: string;
  lab?: boolean;
  demo_token?: string;
  lab_streams?: { hls?: string; hls_ts?: string; dash?: string };
}

export interface Overview {
  sessions?: { active?: number; stalled?: number; ended?: number };
  events_per_second?: number;
  errors_last_hour?: number;
  errors_last_hour_capped?: boolean; // more than errors_last_hour
}

// GET /api/qoe (app::to_json(QoeReport) on the server): figures of each bucket of sessions,
// by started_at. Ratios and averages are null when there is nothing to divide by.
export interface QoeFigures {
  sessions?: number;
  started?: number;
  watch_ms?: number;
  rebuffer_ms?: number;
  rebuffer_ratio?: number | null;
  failure_rate?: number | null;
  exit_before_start_rate?: number | null;
  startup_ms?: { p50?: number; p90?: number; p95?: number } | null;
  startup_score_avg?: number | null;
  smoothness_score_avg?: number | null;
}

export interface QoeBucket extends QoeFigures {
  start: string;
  groups?: (QoeFigures & { value: string | null })[];
  other?: QoeFigures | null;
}

export interface QoeReport {
  from?: string;
  until?: string;
  bucket_s?: number;
  by?: string | null;
  truncated?: boolean;
  buckets?: QoeBucket[];
}

export interface Status {
  status?: string;
  version?: string;
  uptime_s?: number;
  store?: { kind?: string; ok?: boolean };
  live?: { subscribers?: number };
  lab?: { ffmpeg?: string; restarts?: number; last_error?: string };
}

export interface SessionFilters {
  state?: string;
  project_id?: string;
  content_id?: string;
  player_name?: string;
  error_code?: string;
  q?: string;
  from?: string;
  until?: string;
}

export interface EventFilters {
  event_name?: string;
  errors_only?: boolean;
  from?: string;
  until?: string;
}
