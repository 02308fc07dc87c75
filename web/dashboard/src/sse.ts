// The live stream GET /api/stream-sessions/stream, read with fetch (EventSource cannot send
// X-MTrace-Token) and parsed here by the rules of the WHATWG event-stream format.

import type { FetchLike } from './api';
import { TOKEN_HEADER } from './api';
import type { StreamSession } from './types';

export interface SseFrame {
  event: string;
  data: string;
  id?: string;
}

// Incremental parser: feed text chunks cut anywhere; complete frames come out.
export class SseParser {
  private buffer = '';
  private afterCr = false;
  private event = '';
  private data: string[] = [];
  private id: string | undefined;

  feed(chunk: string): SseFrame[] {
    // A CR that ended the previous chunk may be the first half of a CRLF.
    if (this.afterCr && chunk.startsWith('\n')) chunk = chunk.slice(1);
    this.afterCr = false;
    this.buffer += chunk;
    const frames: SseFrame[] = [];
    for (;;) {
      const match = /\r\n|\r|\n/.exec(this.buffer);
      if (!match) break;
      const line = this.buffer.slice(0, match.index);
      this.buffer = this.buffer.slice(match.index + match[0].length);
      if (match[0] === '\r' && this.buffer === '') this.afterCr = true;
      const frame = this.line(line);
      if (frame) frames.push(frame);
    }
    return frames;
  }

  private line(line: string): SseFrame | null {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) return null; // comment, e.g. ": heartbeat"
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'event':
        this.event = value;
        break;
      case 'data':
        this.data.push(value);
        break;
      case 'id':
        if (!value.includes('\0')) this.id = value;
        break;
      default:
        break; // unknown fields (and retry) are ignored
    }
    return null;
  }

  // A frame needs at least one data line. Unlike EventSource, the id belongs to its own frame
  // only: session_updated frames carry none and must not inherit the previous one.
  private dispatch(): SseFrame | null {
    const frame: SseFrame | null = this.data.length > 0
      ? { event: this.event || 'message', data: this.data.join('\n') }
      : null;
    if (frame && this.id !== undefined) frame.id = this.id;
    this.event = '';
    this.data = [];
    this.id = undefined;
    return frame;
  }
}

export interface EventAppended {
  project_id: string;
  session_id: string;
  ingest_sequence: number;
  event_name: string;
  server_received_at?: string;
  time_skew_warning?: boolean;
}

export type LiveState = 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'unauthorized' | 'stopped';

export interface LiveListener {
  eventAppended?(event: EventAppended): void;
  sessionUpdated?(session: StreamSession): void;
  // Events between the backfill and live were lost: views should reload over REST.
  backfillTruncated?(oldestIngestSequence: number): void;
  // The stream is back after a break: session_updated frames of the break are not replayed.
  reconnected?(): void;
}

export interface LiveStreamOptions {
  fetch?: FetchLike;
  token: () => string | null;
  onUnauthorized?: () => void;
  url?: string;
  // Delay before reconnect attempt n (1-based).
  backoff?: (attempt: number) => number;
  setTimer?: (callback: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
  // A connection that brings no bytes for this long is taken as dead (a proxy or network that
  // keeps it open silently): it is dropped and opened again with Last-Event-ID. The server sends
  // ": heartbeat" every 15 s.
  idleTimeoutMs?: number;
}

export const DEFAULT_IDLE_TIMEOUT_MS = 45_000;

export function defaultBackoff(attempt: number): number {
  return Math.min(30_000, 1000 * 2 ** Math.min(attempt - 1, 5));
}

const RECENT_IDS = 4096;

// One connection shared by every view. Reconnects with backoff and Last-Event-ID; frames seen
// twice (the server may repeat some around a backfill) are dropped by id.
export class LiveStream {
  state: LiveState = 'idle';
  lastEventId: string | undefined;
  lastError = '';
  stateChangedAt = new Date();
  private readonly listeners = new Set<LiveListener>();
  private readonly stateListeners = new Set<(state: LiveState) => void>();
  private readonly recentIds = new Set<string>();
  private abort: AbortController | null = null;
  private timer: unknown = null;
  private attempt = 0;
  private everConnected = false;
  private readonly fetchImpl: FetchLike;
  private readonly setTimer: (callback: () => void, ms: number) => unknown;
  private readonly clearTimer: (handle: unknown) => void;

  constructor(private readonly options: LiveStreamOptions) {
    this.fetchImpl = options.fetch ?? ((input, init) => fetch(input, init));
    this.setTimer = options.setTimer ?? ((callback, ms) => setTimeout(callback, ms));
    this.clearTimer = options.clearTimer ?? ((handle) => clearTimeout(handle as ReturnType<typeof setTimeout>));
  }

  subscribe(listener: LiveListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  onState(listener: (state: LiveState) => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  start(): void {
    if (this.state === 'connecting' || this.state === 'connected' || this.timer !== null) return;
    this.attempt = 0;
    void this.connect();
  }

  stop(): void {
    this.abort?.abort();
    this.abort = null;
    if (this.timer !== null) this.clearTimer(this.timer);
    this.timer = null;
    this.setState('stopped');
  }

  private setState(state: LiveState): void {
    if (this.state === state) return;
    this.state = state;
    this.stateChangedAt = new Date();
    for (const listener of this.stateListeners) listener(state);
  }

  private async connect(): Promise<void> {
    this.timer = null;
    const abort = new AbortController();
    this.abort = abort;
    this.setState(this.attempt === 0 ? 'connecting' : 'reconnecting');
    const headers: Record<string, string> = { Accept: 'text/event-stream' };
    const token = this.options.token();
    if (token) headers[TOKEN_HEADER] = token;
    if (this.lastEventId !== undefined) headers['Last-Event-ID'] = this.lastEventId;
    let watchdog: ReturnType<typeof setTimeout> | null = null;
    let idle = false;
    try {
      const response = await this.fetchImpl(this.options.url ?? '/api/stream-sessions/stream', {
        headers, cache: 'no-store', signal: abort.signal,
      });
      if (response.status === 401) {
        this.setState('unauthorized');
        this.abort = null;
        this.options.onUnauthorized?.();
        return;
      }
      if (!response.ok || !response.body) throw new Error(`live stream answered ${response.status}`);
      this.setState('connected');
      this.attempt = 0;
      this.lastError = '';
      if (this.everConnected) for (const listener of [...this.listeners]) listener.reconnected?.();
      this.everConnected = true;
      const reader = response.body.getReader();
      const idleMs = this.options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
      const arm = () => {
        if (watchdog !== null) clearTimeout(watchdog);
        watchdog = setTimeout(() => {
          watchdog = null;
          idle = true;
          abort.abort();
          reader.cancel().catch(() => {});
        }, idleMs);
      };
      // stop() ends the read too (and the watchdog with it), whatever the body does.
      abort.signal.addEventListener('abort', () => {
        if (idle) return;
        if (watchdog !== null) clearTimeout(watchdog);
        watchdog = null;
        reader.cancel().catch(() => {});
      });
      arm();
      await this.read(reader, () => { if (!abort.signal.aborted) arm(); });
      this.lastError = idle ? `no data for ${Math.round(idleMs / 1000)} s` : 'the server closed the live stream';
    } catch (error) {
      if (abort.signal.aborted && !idle) return;
      this.lastError = idle ? `no data for ${Math.round((this.options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS) / 1000)} s` : error instanceof Error ? error.message : String(error);
    } finally {
      if (watchdog !== null) clearTimeout(watchdog);
      watchdog = null;
    }
    if ((abort.signal.aborted && !idle) || this.abort !== abort) return;
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    this.attempt += 1;
    this.setState('reconnecting');
    const delay = (this.options.backoff ?? defaultBackoff)(this.attempt);
    this.timer = this.setTimer(() => void this.connect(), delay);
  }

  // `onBytes` is called on every chunk (heartbeats included).
  private async read(reader: ReadableStreamDefaultReader<Uint8Array>, onBytes: () => void): Promise<void> {
    const decoder = new TextDecoder();
    const parser = new SseParser();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      onBytes();
      for (const frame of parser.feed(decoder.decode(value, { stream: true }))) this.dispatch(frame);
    }
  }

  // Exposed for tests and for frames read elsewhere.
  dispatch(frame: SseFrame): void {
    if (frame.id !== undefined) {
      if (this.recentIds.has(frame.id)) return;
      this.remember(frame.id);
      this.lastEventId = frame.id;
    }
    let data: unknown;
    try {
      data = JSON.parse(frame.data);
    } catch {
      return; // a malformed frame is skipped, the stream goes on
    }
    if (typeof data !== 'object' || data === null) return;
    for (const listener of [...this.listeners]) {
      switch (frame.event) {
        case 'event_appended':
          listener.eventAppended?.(data as EventAppended);
          break;
        case 'session_updated':
          listener.sessionUpdated?.(data as StreamSession);
          break;
        case 'backfill_truncated':
          listener.backfillTruncated?.(Number((data as { oldest_ingest_sequence?: unknown }).oldest_ingest_sequence));
          break;
      }
    }
  }

  private remember(id: string): void {
    this.recentIds.add(id);
    if (this.recentIds.size > RECENT_IDS) {
      const oldest = this.recentIds.values().next().value;
      if (oldest !== undefined) this.recentIds.delete(oldest);
    }
  }
}
