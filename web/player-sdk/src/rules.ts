/**
 * The server's rules for event names and reserved meta keys (src/domain/event_rules.cpp). One
 * event breaking them makes the server refuse its whole batch (422), so the tracker checks them
 * in track() and keeps such an event out.
 */
import { isRedactedUrl } from './redact';
import { utf8Length } from './utf8';
import type { EventMeta } from './types';

/** A custom name; each of the server's known names matches it too. */
export const isEventName = (name: unknown): boolean => typeof name === 'string' && /^[a-z][a-z0-9_.]{0,63}$/.test(name);

const REASONS = [
  'native_hls_unavailable', 'hlsjs_signal_unavailable', 'browser_api_unavailable',
  'resource_timing_unavailable', 'cors_timing_blocked', 'service_worker_opaque',
];
const ONE_OF = new Map(Object.entries({
  'network.kind': ['manifest', 'segment'],
  'network.detail_status': ['available', 'network_detail_unavailable'],
  'webrtc.connection_state': ['new', 'connecting', 'connected', 'disconnected', 'failed', 'closed'],
  'webrtc.ice_state': ['new', 'checking', 'connected', 'completed', 'failed', 'disconnected', 'closed'],
  'webrtc.dtls_state': ['new', 'connecting', 'connected', 'closed', 'failed'],
  'webrtc.error_code': [
    'whep_signaling_failed', 'whep_sdp_invalid', 'webrtc_no_tracks', 'peer_connection_failed',
    'webrtc_destroyed_before_connected',
  ],
}));
const WEBRTC_COUNTS = [
  'sample_id', 'packets_lost', 'bytes_received', 'bytes_sent', 'jitter_ms', 'rtt_ms', 'frames_decoded',
  'frames_dropped', 'freeze_count', 'total_freezes_duration_ms',
].map((key) => `webrtc.${key}`);

/** A JSON number (NaN and infinities travel as null). */
const isNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

/** RFC 3339 as the server's parse_rfc3339 reads it. */
function isTimestamp(value: unknown): boolean {
  const m = typeof value === 'string' && /^(\d{4})-(\d\d)-(\d\d)[Tt](\d\d):(\d\d):(\d\d)(?:\.\d+)?(?:[Zz]|[+-](\d\d):(\d\d))$/.exec(value);
  if (!m) return false;
  const [year, month, day, hour, minute, second, offsetHour = 0, offsetMinute = 0] = m.slice(1).map((n) => Number(n ?? 0));
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const days = month === 2 ? (leap ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31;
  return year >= 1 && month >= 1 && month <= 12 && day >= 1 && day <= days && hour <= 23 && minute <= 59 &&
    second <= 59 && offsetHour <= 23 && offsetMinute <= 59;
}

function validValue(key: string, value: unknown, meta: EventMeta): boolean {
  const allowed = ONE_OF.get(key);
  if (allowed) return allowed.includes(value as string);
  if (key === 'network.unavailable_reason') {
    return REASONS.includes(value as string) && meta['network.detail_status'] === 'network_detail_unavailable';
  }
  if (key === 'network.redacted_url') return value === '' || (typeof value === 'string' && isRedactedUrl(value));
  if (key.startsWith('timing.')) return isNumber(value) || isTimestamp(value);
  if (key === 'session_sample_rate') return isNumber(value) && value > 0 && value <= 1;
  if (!key.startsWith('webrtc.')) return true;  // free-form, other network.* keys included
  if (WEBRTC_COUNTS.includes(key)) return isNumber(value) && value >= 0 && Number.isInteger(value);
  if (key === 'webrtc.fps') return isNumber(value) && value >= 0;
  if (key === 'webrtc.peer_connection_run_id') return typeof value === 'string' && /^[a-z0-9_-]{1,64}$/.test(value);
  if (key === 'webrtc.error_detail') return typeof value === 'string' && utf8Length(value) <= 256;
  return false;  // a webrtc.* key off the server's allow-list
}

/** The first meta key whose value the server would refuse, or undefined. */
export function invalidMetaKey(meta: EventMeta): string | undefined {
  for (const key in meta) {
    if (!validValue(key, meta[key], meta)) return key;
  }
  return undefined;
}
