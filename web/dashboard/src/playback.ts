// What the session detail derives from a session's events (SPEC §8 vocabulary).

import { formatBitrate, formatBytes, formatDuration, formatValue } from './format';
import type { PlaybackEvent } from './types';

export type Category = 'lifecycle' | 'startup' | 'network' | 'quality' | 'stall' | 'seek' | 'error' | 'other';

export const CATEGORIES: Category[] = ['lifecycle', 'startup', 'network', 'quality', 'stall', 'seek', 'error', 'other'];

const CATEGORY_OF: Record<string, Category> = {
  play_requested: 'lifecycle',
  playback_started: 'lifecycle',
  paused: 'lifecycle',
  resumed: 'lifecycle',
  session_ended: 'lifecycle',
  startup_time_measured: 'startup',
  manifest_loaded: 'network',
  segment_loaded: 'network',
  bitrate_switch: 'quality',
  metrics_sampled: 'quality',
  rebuffer_started: 'stall',
  rebuffer_ended: 'stall',
  seek_started: 'seek',
  seek_ended: 'seek',
  playback_error: 'error',
};

export function categoryOf(name: string): Category {
  return CATEGORY_OF[name] ?? (/error|warning/.test(name) ? 'error' : 'other');
}

function numberAt(meta: PlaybackEvent['meta'], key: string): number | undefined {
  const value = meta?.[key];
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

// When the event happened in the player: the client clock, else the server's.
export function eventTime(event: PlaybackEvent): number {
  const client = event.client_timestamp ? Date.parse(event.client_timestamp) : NaN;
  return Number.isFinite(client) ? client : Date.parse(event.server_received_at);
}

// A one-line summary of the event's meta for the timeline.
export function summarize(event: PlaybackEvent): string {
  const meta = event.meta ?? {};
  switch (event.event_name) {
    case 'startup_time_measured':
    case 'rebuffer_ended':
      return numberAt(meta, 'duration_ms') !== undefined ? formatDuration(numberAt(meta, 'duration_ms')) : '';
    case 'bitrate_switch': {
      const size = numberAt(meta, 'width') && numberAt(meta, 'height') ? ` ${meta.width}×${meta.height}` : '';
      const direction = typeof meta.direction === 'string' ? ` ${meta.direction}` : '';
      return `${formatBitrate(numberAt(meta, 'bitrate_bps'))}${size}${direction}`;
    }
    case 'metrics_sampled': {
      const parts: string[] = [];
      if (numberAt(meta, 'bitrate_bps') !== undefined) parts.push(formatBitrate(numberAt(meta, 'bitrate_bps')));
      if (numberAt(meta, 'buffer_length_s') !== undefined) parts.push(`buffer ${numberAt(meta, 'buffer_length_s')!.toFixed(1)} s`);
      if (numberAt(meta, 'live_latency_s') !== undefined) parts.push(`latency ${numberAt(meta, 'live_latency_s')!.toFixed(1)} s`);
      return parts.join(', ');
    }
    case 'playback_error':
      return [meta.fatal === true ? 'fatal' : meta.fatal === false ? 'non-fatal' : '', meta.error_type, meta.error_details, meta.error_code]
        .filter((part) => part !== undefined && part !== '').map(formatValue).join(' · ');
    case 'segment_loaded':
    case 'manifest_loaded': {
      const bytes = numberAt(meta, 'bytes');
      const ms = numberAt(meta, 'duration_ms');
      return [bytes !== undefined ? formatBytes(bytes) : '', ms !== undefined ? `in ${formatDuration(ms)}` : ''].filter(Boolean).join(' ');
    }
    case 'seek_started':
    case 'seek_ended':
      return numberAt(meta, 'to_s') !== undefined ? `to ${numberAt(meta, 'to_s')!.toFixed(1)} s` : '';
    default:
      return '';
  }
}

export interface Stall {
  startedAt: number;
  durationMs?: number; // undefined while the stall goes on
}

// rebuffer_started/rebuffer_ended pairs; the ended event's duration_ms wins over the clock.
export function stalls(events: PlaybackEvent[]): Stall[] {
  const result: Stall[] = [];
  let open: Stall | null = null;
  for (const event of events) {
    if (event.event_name === 'rebuffer_started') {
      if (open) result.push(open);
      open = { startedAt: eventTime(event) };
    } else if (event.event_name === 'rebuffer_ended') {
      const reported = numberAt(event.meta, 'duration_ms');
      const stall: Stall = open ?? { startedAt: eventTime(event) - (reported ?? 0) };
      stall.durationMs = reported ?? eventTime(event) - stall.startedAt;
      result.push(stall);
      open = null;
    }
  }
  if (open) result.push(open);
  return result;
}

// Startup time: the startup_time_measured event, else the server's QoE figure.
export function startupMs(events: PlaybackEvent[], qoeStartupMs: number | null | undefined): number | undefined {
  const measured = events.find((event) => event.event_name === 'startup_time_measured');
  return numberAt(measured?.meta, 'duration_ms') ?? (typeof qoeStartupMs === 'number' ? qoeStartupMs : undefined);
}

export interface Series {
  times: number[]; // seconds since the epoch, ascending
  values: number[];
}

function series(points: [number, number][]): Series {
  points.sort((a, b) => a[0] - b[0]);
  return { times: points.map(([t]) => t / 1000), values: points.map(([, v]) => v) };
}

// Bitrate over time from metrics_sampled and bitrate_switch.
export function bitrateSeries(events: PlaybackEvent[]): Series {
  const points: [number, number][] = [];
  for (const event of events) {
    if (event.event_name !== 'metrics_sampled' && event.event_name !== 'bitrate_switch') continue;
    const bps = numberAt(event.meta, 'bitrate_bps');
    if (bps !== undefined) points.push([eventTime(event), bps]);
  }
  return series(points);
}

// Buffer length over time from metrics_sampled.
export function bufferSeries(events: PlaybackEvent[]): Series {
  const points: [number, number][] = [];
  for (const event of events) {
    if (event.event_name !== 'metrics_sampled') continue;
    const seconds = numberAt(event.meta, 'buffer_length_s');
    if (seconds !== undefined) points.push([eventTime(event), seconds]);
  }
  return series(points);
}
