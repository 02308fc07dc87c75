// A loopback stand-in for `mtrace serve` (used when MTRACE_BIN is not set): it checks the ingest
// wire format strictly (reference backend.md §2, SPEC §3), answers CORS like the server, stores
// what it accepted, and serves it back in the shape of GET /api/stream-sessions/{id} (§3.5).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readBody } from './http';

const TOKEN = 'demo-token';
const PROJECT = 'demo';
const EVENT_NAME = /^[a-z][a-z0-9_.]{0,63}$/;
const TIMESTAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/;
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/;
// The server's allow-list (src/domain/event_rules.cpp, docs/decisions.md "WebRTC meta keys"):
// the reference's keys and the receiver statistics SPEC §8 adds.
const WEBRTC_KEYS = new Set([
  'webrtc.peer_connection_run_id', 'webrtc.sample_id', 'webrtc.packets_lost', 'webrtc.bytes_received', 'webrtc.bytes_sent',
  'webrtc.connection_state', 'webrtc.ice_state', 'webrtc.dtls_state', 'webrtc.error_code', 'webrtc.error_detail',
  'webrtc.jitter_ms', 'webrtc.rtt_ms', 'webrtc.frames_decoded', 'webrtc.frames_dropped', 'webrtc.freeze_count',
  'webrtc.total_freezes_duration_ms', 'webrtc.fps',
]);
const BOUNDARY_REASONS = new Set(['native_hls_unavailable', 'hlsjs_signal_unavailable', 'browser_api_unavailable', 'resource_timing_unavailable', 'cors_timing_blocked', 'service_worker_opaque']);

export interface StoredEvent {
  event_name: string;
  session_id: string;
  sequence_number?: number;
  client_timestamp: string;
  ingest_sequence: number;
  trace_id?: string;
  meta?: Record<string, unknown>;
}

export interface Collector {
  endpoint: string;
  origin: string;
  /** Every refused request with the reason: a correct SDK causes none. */
  rejections: string[];
  requests: number;
  sessions: Map<string, StoredEvent[]>;
  stop(): Promise<void>;
}

class Invalid extends Error {}

function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Invalid(message);
}

function checkRedactedUrl(value: unknown): void {
  check(typeof value === 'string', 'network.redacted_url must be a string');
  if (value === '') return;
  const url = new URL(value);
  check(url.host !== '' && url.username === '' && url.password === '' && !value.includes('?') && !value.includes('#'), `not redacted: ${value}`);
}

function checkEvent(event: any): void {
  check(event && typeof event === 'object' && !Array.isArray(event), 'event must be an object');
  check(typeof event.event_name === 'string' && EVENT_NAME.test(event.event_name), `bad event_name ${event.event_name}`);
  check(event.project_id === PROJECT, 'project_id must be the token project');
  check(typeof event.session_id === 'string' && event.session_id.trim() !== '', 'session_id required');
  check(typeof event.client_timestamp === 'string' && TIMESTAMP.test(event.client_timestamp) && !Number.isNaN(Date.parse(event.client_timestamp)), 'client_timestamp must be RFC 3339');
  check(event.sequence_number === undefined || (Number.isInteger(event.sequence_number) && event.sequence_number >= 0), 'sequence_number must be an integer >= 0');
  check(typeof event.sdk?.name === 'string' && event.sdk.name.trim() !== '' && typeof event.sdk?.version === 'string' && event.sdk.version.trim() !== '', 'sdk.name and sdk.version required');
  if (event.meta === undefined) return;
  check(event.meta && typeof event.meta === 'object' && !Array.isArray(event.meta), 'meta must be an object');
  for (const [key, value] of Object.entries(event.meta)) {
    check(value === null || ['string', 'number', 'boolean'].includes(typeof value), `meta.${key} must be flat`);
    if (key.startsWith('webrtc.')) check(WEBRTC_KEYS.has(key), `${key} is not an allowed webrtc.* key`);
    if (key === 'network.redacted_url') checkRedactedUrl(value);
    if (key === 'session_sample_rate') check(typeof value === 'number' && value > 0 && value <= 1, 'session_sample_rate in (0,1]');
  }
}

function checkBatch(body: any): void {
  check(body && typeof body === 'object', 'body must be an object');
  check(body.schema_version === '1.0', 'schema_version must be "1.0"');
  check(Array.isArray(body.events) && body.events.length >= 1 && body.events.length <= 100, 'events: 1..100');
  body.events.forEach(checkEvent);
  if (body.session_boundaries === undefined) return;
  check(Array.isArray(body.session_boundaries) && body.session_boundaries.length <= 20, 'session_boundaries: at most 20');
  const sessions = new Set(body.events.map((e: any) => e.session_id));
  for (const b of body.session_boundaries) {
    check(b.kind === 'network_signal_absent' && b.project_id === PROJECT && sessions.has(b.session_id), 'boundary kind/project/session');
    check(['manifest', 'segment'].includes(b.network_kind) && ['hls.js', 'native_hls', 'unknown'].includes(b.adapter) && BOUNDARY_REASONS.has(b.reason), 'boundary values');
    check(typeof b.client_timestamp === 'string' && TIMESTAMP.test(b.client_timestamp), 'boundary timestamp');
  }
}

export async function startCollector(allowedOrigin: string): Promise<Collector> {
  const sessions = new Map<string, StoredEvent[]>();
  const rejections: string[] = [];
  let ingestSequence = 0;
  const state = { requests: 0 };

  const json = (response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    response.writeHead(status, { 'Content-Type': 'application/json', ...headers }).end(JSON.stringify(body));
  };

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://x');
    const origin = request.headers.origin;
    const cors: Record<string, string> = origin === allowedOrigin ? { 'Access-Control-Allow-Origin': origin, 'Access-Control-Expose-Headers': 'Retry-After', Vary: 'Origin' } : { Vary: 'Origin' };
    if (origin !== undefined && origin !== allowedOrigin) {
      rejections.push(`origin ${origin} not allowed`);
      return json(response, 403, { error: 'origin_not_allowed', message: 'origin not allowed' });
    }
    if (request.method === 'OPTIONS' && url.pathname === '/api/playback-events') {
      const asked = (request.headers['access-control-request-headers'] ?? '').toLowerCase().split(',').map((h) => h.trim());
      const allowed = ['content-type', 'x-mtrace-token', 'traceparent', 'authorization', 'x-mtrace-session-token'];
      if (request.headers['access-control-request-method'] !== 'POST' || asked.some((h) => h && !allowed.includes(h))) {
        rejections.push(`preflight asked ${request.headers['access-control-request-method']} ${asked}`);
      }
      response.writeHead(204, { ...cors, 'Access-Control-Allow-Methods': 'POST, OPTIONS', 'Access-Control-Allow-Headers': 'Content-Type, Authorization, X-MTrace-Token, X-MTrace-Session-Token, traceparent', 'Access-Control-Max-Age': '600' }).end();
      return;
    }
    if (request.method === 'POST' && url.pathname === '/api/playback-events') {
      state.requests++;
      try {
        check(request.headers['x-mtrace-token'] === TOKEN, 'X-MTrace-Token missing or wrong');
        check((request.headers['content-type'] ?? '').startsWith('application/json'), 'Content-Type must be application/json');
        check(request.headers.cookie === undefined, 'credentials must be omitted');
        const trace = TRACEPARENT.exec(String(request.headers.traceparent ?? ''));
        check(trace, `traceparent missing or malformed: ${request.headers.traceparent}`);
        const raw = await readBody(request, 256 * 1024);
        check(raw, 'body larger than 256 KiB');
        const body = JSON.parse(raw.toString('utf8'));
        checkBatch(body);
        for (const event of body.events) {
          const list = sessions.get(event.session_id) ?? [];
          list.push({ ...event, ingest_sequence: ++ingestSequence, trace_id: trace[1] });
          sessions.set(event.session_id, list);
        }
        return json(response, 202, { accepted: body.events.length }, cors);
      } catch (error) {
        const message = error instanceof Invalid || error instanceof SyntaxError ? error.message : String(error);
        rejections.push(message);
        return json(response, 422, { error: 'invalid_event', message }, cors);
      }
    }
    const sessionPath = /^\/api\/stream-sessions\/([^/]+)$/.exec(url.pathname);
    if (request.method === 'GET' && sessionPath) {
      if (request.headers['x-mtrace-token'] !== TOKEN) return json(response, 401, { error: 'unauthorized', message: 'token' });
      const events = sessions.get(decodeURIComponent(sessionPath[1]));
      if (!events) return json(response, 404, { error: 'not_found', message: 'no such session' });
      const limit = Number(url.searchParams.get('events_limit') ?? 100);
      return json(response, 200, {
        session: { session_id: sessionPath[1], project_id: PROJECT, event_count: events.length, trace_id: events[0]?.trace_id },
        events: events.slice(0, limit),
      });
    }
    json(response, 404, { error: 'not_found', message: url.pathname });
  }

  const server = createServer((request, response) => void handle(request, response));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}/api/playback-events`,
    origin: `http://127.0.0.1:${port}`,
    rejections,
    get requests() {
      return state.requests;
    },
    sessions,
    stop: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
