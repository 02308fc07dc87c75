export { createTracker, DROPPED_EVENTS_KEY, KEEPALIVE_QUOTA_BYTES, MAX_BATCH_BYTES, MAX_BATCH_EVENTS, MAX_KEEPALIVE_BYTES } from './tracker';
export type { TrackerOptions } from './tracker';
export { createHttpTransport, parseRetryAfter, TransportError } from './transport';
export type { SendOptions, Transport, TransportOptions } from './transport';
export { needsRedaction, redactUrl } from './redact';
export { createSessionId } from './ids';
export { SCHEMA_VERSION, SDK_NAME, SDK_VERSION } from './version';
export type * from './types';
