// Display formatting. Times are shown in the viewer's local zone; the API answers in UTC.

const NONE = '—';

function parseTime(value: string | number | Date | null | undefined): Date | null {
  if (value === null || value === undefined || value === '') return null;
  const date = value instanceof Date ? value : new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

function pad(value: number, width = 2): string {
  return String(value).padStart(width, '0');
}

// "14:03:07.250" in local time.
export function formatTime(value: string | number | Date | null | undefined): string {
  const date = parseTime(value);
  if (!date) return NONE;
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}

// "2026-05-01 14:03:07" in local time.
export function formatDateTime(value: string | number | Date | null | undefined): string {
  const date = parseTime(value);
  if (!date) return NONE;
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

// For lists: the time of day when it is today, else the date and the minute, in local time.
export function formatWhen(value: string | number | Date | null | undefined, now = new Date()): string {
  const date = parseTime(value);
  if (!date) return NONE;
  const sameDay = date.getFullYear() === now.getFullYear() && date.getMonth() === now.getMonth() && date.getDate() === now.getDate();
  if (sameDay) return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

// The full instant in UTC, for tooltips.
export function isoTitle(value: string | null | undefined): string | undefined {
  const date = parseTime(value);
  return date ? date.toISOString() : undefined;
}

// Milliseconds to "850 ms", "12.4 s", "3 min 05 s", "2 h 03 min".
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return NONE;
  const sign = ms < 0 ? '-' : '';
  const abs = Math.abs(ms);
  if (abs < 1000) return `${sign}${Math.round(abs)} ms`;
  if (abs < 60_000) return `${sign}${(abs / 1000).toFixed(abs < 10_000 ? 2 : 1)} s`;
  const totalSeconds = Math.round(abs / 1000);
  if (totalSeconds < 3600) {
    return `${sign}${Math.floor(totalSeconds / 60)} min ${pad(totalSeconds % 60)} s`;
  }
  const totalMinutes = Math.floor(totalSeconds / 60);
  return `${sign}${Math.floor(totalMinutes / 60)} h ${pad(totalMinutes % 60)} min`;
}

// Bits per second to "640 bit/s", "950 kbit/s", "2.50 Mbit/s".
export function formatBitrate(bps: number | null | undefined): string {
  if (bps === null || bps === undefined || !Number.isFinite(bps)) return NONE;
  if (Math.abs(bps) >= 1e6) return `${(bps / 1e6).toFixed(2)} Mbit/s`;
  if (Math.abs(bps) >= 1e3) return `${Math.round(bps / 1e3)} kbit/s`;
  return `${Math.round(bps)} bit/s`;
}

// Bytes to "812 B", "312 kB", "1.4 MB" (decimal units, like transfer sizes).
export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) return NONE;
  if (Math.abs(bytes) >= 1e6) return `${(bytes / 1e6).toFixed(1)} MB`;
  if (Math.abs(bytes) >= 1e3) return `${Math.round(bytes / 1e3)} kB`;
  return `${Math.round(bytes)} B`;
}

// A ratio 0..1 to "1.25 %".
export function formatPercent(ratio: number | null | undefined): string {
  if (ratio === null || ratio === undefined || !Number.isFinite(ratio)) return NONE;
  return `${(ratio * 100).toFixed(2)} %`;
}

export function formatNumber(value: number | null | undefined, digits = 0): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return NONE;
  return value.toLocaleString(undefined, { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

// A meta value of any JSON type, as one line of text.
export function formatValue(value: unknown): string {
  if (value === null || value === undefined) return NONE;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

// The value of an <input type="datetime-local"> (local time) to RFC 3339 UTC; '' when empty or invalid.
export function localInputToRfc3339(value: string): string {
  if (!value) return '';
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? '' : date.toISOString();
}

// RFC 3339 to the value an <input type="datetime-local"> shows, in local time.
export function rfc3339ToLocalInput(value: string): string {
  const date = parseTime(value);
  if (!date) return '';
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}`;
}
