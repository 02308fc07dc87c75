import { describe, expect, it } from 'vitest';
import { bitrateSeries, bufferSeries, categoryOf, startupMs, stalls, summarize } from '../src/playback';
import type { PlaybackEvent } from '../src/types';

let seq = 0;
function ev(name: string, atMs: number, meta?: Record<string, unknown>): PlaybackEvent {
  const time = new Date(Date.UTC(2026, 4, 1, 12, 0, 0) + atMs).toISOString();
  return { event_name: name, project_id: 'demo', session_id: 's', client_timestamp: time, server_received_at: time, ingest_sequence: ++seq, meta };
}

describe('session derivations', () => {
  it('sorts event names into categories, unknown error-like names into errors', () => {
    expect(categoryOf('rebuffer_started')).toBe('stall');
    expect(categoryOf('segment_loaded')).toBe('network');
    expect(categoryOf('drm.license_error')).toBe('error');
    expect(categoryOf('custom.thing')).toBe('other');
  });

  it('pairs stalls and prefers the reported duration', () => {
    const result = stalls([
      ev('rebuffer_started', 1000), ev('rebuffer_ended', 2500, { duration_ms: 1400 }),
      ev('rebuffer_started', 5000), ev('rebuffer_ended', 5800),
      ev('rebuffer_started', 9000),
    ]);
    expect(result.map((s) => s.durationMs)).toEqual([1400, 800, undefined]);
  });

  it('takes the startup time from startup_time_measured, else from QoE', () => {
    expect(startupMs([ev('startup_time_measured', 0, { duration_ms: 730 })], 999)).toBe(730);
    expect(startupMs([ev('playback_started', 0)], 640)).toBe(640);
    expect(startupMs([], null)).toBeUndefined();
  });

  it('builds bitrate from samples and switches, buffer from samples, in time order', () => {
    const events = [
      ev('metrics_sampled', 10_000, { bitrate_bps: 1_000_000, buffer_length_s: 8 }),
      ev('bitrate_switch', 4_000, { bitrate_bps: 400_000, direction: 'down' }),
      ev('metrics_sampled', 20_000, { buffer_length_s: 12 }),
      ev('segment_loaded', 21_000, { bitrate_bps: 5 }),
    ];
    const bitrate = bitrateSeries(events);
    expect(bitrate.values).toEqual([400_000, 1_000_000]);
    expect(bitrate.times[1] - bitrate.times[0]).toBe(6);
    expect(bufferSeries(events).values).toEqual([8, 12]);
  });

  it('summarizes errors and switches for the timeline', () => {
    expect(summarize(ev('playback_error', 0, { fatal: true, error_type: 'networkError', error_code: 'E42' }))).toBe('fatal · networkError · E42');
    expect(summarize(ev('segment_loaded', 0, { bytes: 312_400, duration_ms: 180 }))).toBe('312 kB in 180 ms');
    expect(summarize(ev('manifest_loaded', 0, { duration_ms: 95 }))).toBe('in 95 ms');
    expect(summarize(ev('bitrate_switch', 0, { bitrate_bps: 2_500_000, width: 1280, height: 720, direction: 'up' }))).toBe('2.50 Mbit/s 1280×720 up');
  });
});
