import { afterEach, describe, expect, it } from 'vitest';
import {
  formatBitrate, formatBytes, formatWhen, formatDateTime, formatDuration, formatPercent, formatTime, formatValue,
  localInputToRfc3339, rfc3339ToLocalInput,
} from '../src/format';

const originalZone = process.env.TZ;
afterEach(() => {
  process.env.TZ = originalZone;
});

describe('times in the viewer\'s zone', () => {
  it('shows the same instant in the local zone', () => {
    process.env.TZ = 'Asia/Kolkata'; // UTC+05:30
    expect(formatTime('2026-05-01T12:00:00.250Z')).toBe('17:30:00.250');
    expect(formatDateTime('2026-05-01T20:00:00Z')).toBe('2026-05-02 01:30:00');
    process.env.TZ = 'America/New_York'; // UTC-04:00 in May
    expect(formatTime('2026-05-01T12:00:00.250Z')).toBe('08:00:00.250');
    expect(formatDateTime('2026-05-01T02:00:00Z')).toBe('2026-04-30 22:00:00');
  });

  it('converts datetime-local input values through the local zone', () => {
    process.env.TZ = 'Asia/Kolkata';
    expect(localInputToRfc3339('2026-05-01T17:30')).toBe('2026-05-01T12:00:00.000Z');
    expect(rfc3339ToLocalInput('2026-05-01T12:00:00Z')).toBe('2026-05-01T17:30');
    expect(localInputToRfc3339('')).toBe('');
    expect(localInputToRfc3339('not a date')).toBe('');
  });

  it('shows lists the time of day for today and the date otherwise', () => {
    process.env.TZ = 'Asia/Kolkata';
    const now = new Date('2026-05-01T18:00:00Z'); // 23:30 local
    expect(formatWhen('2026-05-01T12:00:05Z', now)).toBe('17:30:05');
    expect(formatWhen('2026-05-01T18:45:00Z', now)).toBe('2026-05-02 00:15');
    expect(formatWhen('2026-04-30T18:00:00Z', now)).toBe('2026-04-30 23:30');
  });

  it('shows a dash for missing or invalid times', () => {
    expect(formatTime(undefined)).toBe('—');
    expect(formatDateTime('garbage')).toBe('—');
  });
});

describe('durations, bitrates and values', () => {
  it('formats durations at a readable scale', () => {
    expect(formatDuration(850)).toBe('850 ms');
    expect(formatDuration(1234)).toBe('1.23 s');
    expect(formatDuration(12_400)).toBe('12.4 s');
    expect(formatDuration(185_000)).toBe('3 min 05 s');
    expect(formatDuration(7_380_000)).toBe('2 h 03 min');
    expect(formatDuration(null)).toBe('—');
    expect(formatDuration(Number.NaN)).toBe('—');
  });

  it('formats bitrates in bit/s, kbit/s and Mbit/s', () => {
    expect(formatBitrate(640)).toBe('640 bit/s');
    expect(formatBitrate(950_400)).toBe('950 kbit/s');
    expect(formatBitrate(2_500_000)).toBe('2.50 Mbit/s');
    expect(formatBitrate(undefined)).toBe('—');
  });

  it('formats transfer sizes in decimal units', () => {
    expect(formatBytes(812)).toBe('812 B');
    expect(formatBytes(312_400)).toBe('312 kB');
    expect(formatBytes(1_430_000)).toBe('1.4 MB');
  });

  it('formats ratios as percent and any meta value as text', () => {
    expect(formatPercent(0.0125)).toBe('1.25 %');
    expect(formatValue({ a: [1, '<b>'] })).toBe('{"a":[1,"<b>"]}');
    expect(formatValue(false)).toBe('false');
    expect(formatValue(null)).toBe('—');
  });
});
