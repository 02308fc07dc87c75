import { createSessionId, createTraceId, traceparent } from './ids';
import { needsRedaction, redactUrl } from './redact';
import { invalidMetaKey, isEventName } from './rules';
import { utf8Length } from './utf8';
import { createHttpTransport, isRetryable, TransportError, type Transport, type TransportOptions } from './transport';
import type {
  BoundaryDraft, EventMeta, PlaybackEventName, SessionBoundary, Tracker, TrackerStats,
} from './types';
import { SCHEMA_VERSION, SDK_NAME, SDK_VERSION } from './version';

export interface TrackerOptions {
  /** URL of `POST /api/playback-events` (absolute, or relative to the page). */
  endpoint: string;
  /** The project's ingest token, sent as `X-MTrace-Token`. */
  token: string;
  projectId: string;
  /** Defaults to a random UUID. */
  sessionId?: string;
  /** Session dimensions (`content_id`, `content_title`, `player_name`, `player_version`). */
  meta?: EventMeta;
  /** Consent: `false` sends nothing and starts no timer (default true). */
  enabled?: boolean;
  /** Share of sessions that report, decided once per session, in [0, 1] (default 1). */
  sampleRate?: number;
  /** Queue length that triggers a send (default 10, 1..100). */
  batchSize?: number;
  /** Periodic send (default 5000 ms; 0 disables). */
  flushIntervalMs?: number;
  /** Queue bound; events past it are dropped and counted (default 1000). */
  maxQueueEvents?: number;
  /** Hook `pagehide` / `visibilitychange` to deliver the last events (default true). */
  pageLifecycle?: boolean;
  /** Retry and timeout settings of the default transport. */
  retry?: Omit<TransportOptions, 'endpoint' | 'token' | 'fetch'>;
  fetch?: typeof fetch;
  /** Replaces the HTTP transport entirely. */
  transport?: Transport;
  /** Source of randomness for sampling (tests). */
  random?: () => number;
}

/** Server limits of one request (reference backend.md §2.1). */
export const MAX_BATCH_EVENTS = 100;
export const MAX_BATCH_BYTES = 256 * 1024;
/** Body cap of a keepalive request: the browser allows 64 KiB in flight, headers included. */
export const MAX_KEEPALIVE_BYTES = 60 * 1024;
/**
 * The browser's budget for the bodies of all keepalive requests in flight at once (Fetch:
 * inflightKeepaliveBytes); a request past it fails. Page-hide batches fill it up to
 * MAX_KEEPALIVE_BYTES: the last 4 KiB are kept for the batch that carries session_ended.
 */
export const KEEPALIVE_QUOTA_BYTES = 64 * 1024;
export const MAX_BOUNDARIES = 20;
/** Meta key carrying the number of events dropped since the last report. */
export const DROPPED_EVENTS_KEY = 'sdk_dropped_events';

interface Queued {
  name: string;
  at: number;
  sequence: number;
  meta?: EventMeta;
}

interface Batch {
  body: string;
  bytes: number;
  events: number;
  carriedDrops: number;
  carriedDimensions: boolean;
  /** Sends of this body under way: its delivery, and a keepalive re-send at page hide. */
  open: number;
  /** A keepalive request of it is in flight. */
  keepalive: boolean;
  /** Counted, as sent (by whichever send succeeded first) or as dropped (once all failed). */
  done: boolean;
}

/** FIFO with O(1) push and shift (Array.prototype.shift moves every element). */
class Fifo<T> {
  private items: Array<T | undefined> = [];
  private head = 0;
  get length(): number {
    return this.items.length - this.head;
  }
  push(item: T): void {
    this.items.push(item);
  }
  peek(): T {
    return this.items[this.head] as T;
  }
  /** Takes the newest item off. */
  pop(): T | undefined {
    return this.length > 0 ? this.items.pop() : undefined;
  }
  shift(): void {
    this.items[this.head++] = undefined;
    if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
  clear(): void {
    this.items = [];
    this.head = 0;
  }
}

/**
 * Sequence numbers go on across trackers of one session id in this tab (a reload that keeps the
 * id, a new tracker after destroy()): the highest number handed out is reserved in
 * sessionStorage under `mtrace.seq.<sessionId>`, a block at a time so that track() rarely writes.
 * A continuation may skip the rest of a block; without usable storage numbering starts at 1.
 */
const SEQUENCE_BLOCK = 32;

function sequenceStore(sessionId: string): { read(): number; write(value: number): void } {
  const key = `mtrace.seq.${sessionId}`;
  const storage = (): Storage | undefined => globalThis.sessionStorage;
  return {
    read() {
      try {
        const value = Number(storage()?.getItem(key));
        return Number.isSafeInteger(value) && value > 0 ? value : 0;
      } catch {
        return 0;  // storage blocked (sandboxed frame, privacy settings)
      }
    },
    write(value) {
      try {
        storage()?.setItem(key, String(value));
      } catch {
        // full or blocked: numbering still goes on in this tracker
      }
    },
  };
}

function required(value: unknown, name: string): string {
  if (typeof value !== 'string' || value.trim() === '') throw new Error(`m-trace: ${name} is required`);
  return value;
}

function clampInt(value: number | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined || !Number.isFinite(value)) return fallback;
  return Math.min(max, Math.max(min, Math.floor(value)));
}

/** Rewrites, in place, the meta strings the server would redact (URLs), as the server does. */
function redactMeta(meta: EventMeta): void {
  for (const key in meta) {
    const value = meta[key];
    if (typeof value === 'string' && key !== 'network.redacted_url' && needsRedaction(key, value)) {
      meta[key] = redactUrl(value);
    }
  }
}

export function createTracker(options: TrackerOptions): Tracker {
  const endpoint = required(options.endpoint, 'endpoint');
  const token = required(options.token, 'token');
  const projectId = required(options.projectId, 'projectId');
  const sessionId = options.sessionId ?? createSessionId();
  const traceId = createTraceId();
  const batchSize = clampInt(options.batchSize, 10, 1, MAX_BATCH_EVENTS);
  const flushIntervalMs = clampInt(options.flushIntervalMs, 5000, 0, 2 ** 31 - 1);
  const maxQueueEvents = clampInt(options.maxQueueEvents, 1000, 1, 1_000_000);
  const rawRate = options.sampleRate ?? 1;
  const sampleRate = Number.isFinite(rawRate) ? Math.min(1, Math.max(0, rawRate)) : 1;
  const sampledIn = sampleRate > 0 && (sampleRate === 1 || (options.random ?? Math.random)() < sampleRate);
  const dimensions = options.meta ? { ...options.meta } : undefined;
  if (dimensions) {
    // They ride in the first event of every batch until delivered: one the server refuses would sink them all.
    const bad = invalidMetaKey(dimensions);
    if (bad !== undefined) throw new Error(`m-trace: meta.${bad} has a value the server refuses`);
    try {
      JSON.stringify(dimensions);
    } catch {
      throw new Error('m-trace: meta cannot be sent as JSON');
    }
  }
  const transport =
    options.transport ?? createHttpTransport({ endpoint, token, fetch: options.fetch, ...options.retry });
  const sdk = { name: SDK_NAME, version: SDK_VERSION };

  let enabled = options.enabled !== false;
  let ended = false;
  const sequences = sequenceStore(sessionId);
  let sequence = sequences.read();
  let reservedSequence = sequence;
  const queue = new Fifo<Queued>();
  let boundaries: SessionBoundary[] = [];
  let dimensionsDelivered = dimensions === undefined;
  let unreportedDrops = 0;
  const counters: TrackerStats = { queued: 0, sent: 0, dropped: 0, invalid: 0 };
  let chain: Promise<void> = Promise.resolve();
  let keepaliveBytes = 0;  // bodies of this tracker's keepalive requests in flight
  const pending = new Set<Batch>();  // batches off the queue, not yet counted as sent or dropped
  const hiding = new Set<Promise<void>>();  // page-hide sends in flight
  let scheduled = false;
  let timer: ReturnType<typeof setInterval> | undefined;
  let destroyed: Promise<void> | undefined;

  const active = () => enabled && sampledIn && !ended;

  function drop(count: number): void {
    counters.dropped += count;
    unreportedDrops += count;
  }

  function serialize(entry: Queued, extra: EventMeta | undefined): string {
    let meta: EventMeta | undefined = entry.meta;
    if (extra || sampleRate < 1) {
      meta = { ...extra, ...meta };
      if (sampleRate < 1) meta.session_sample_rate = sampleRate;
    }
    if (meta) redactMeta(meta);
    return JSON.stringify({
      event_name: entry.name,
      project_id: projectId,
      session_id: sessionId,
      client_timestamp: new Date(entry.at).toISOString(),
      sequence_number: entry.sequence,
      sdk,
      meta,
    });
  }

  /**
   * Takes the next batch off `from`, within the count limit and `maxBytes`; undefined when it is
   * empty or its first event does not fit `maxBytes` (that one stays, unless it fits no request).
   */
  function nextBatch(maxBytes: number, from = queue): Batch | undefined {
    while (from.length > 0) {
      const carriedDrops = unreportedDrops;
      const carriedDimensions = !dimensionsDelivered;
      const extra: EventMeta = carriedDimensions ? { ...dimensions } : {};
      if (carriedDrops > 0) extra[DROPPED_EVENTS_KEY] = carriedDrops;
      const boundaryJson = boundaries.length ? `,"session_boundaries":${JSON.stringify(boundaries)}` : '';
      const head = `{"schema_version":"${SCHEMA_VERSION}","events":[`;
      const tail = `]${boundaryJson}}`;
      let bytes = utf8Length(head) + utf8Length(tail);
      let size = 0;
      const parts: string[] = [];
      while (from.length > 0 && parts.length < MAX_BATCH_EVENTS) {
        let json: string;
        try {
          json = serialize(from.peek(), parts.length === 0 && (carriedDimensions || carriedDrops > 0) ? extra : undefined);
        } catch {
          from.shift();  // meta that JSON cannot hold (a BigInt, a cycle): never sendable
          drop(1);
          continue;
        }
        size = utf8Length(json) + (parts.length > 0 ? 1 : 0);
        if (bytes + size > maxBytes) break;
        bytes += size;
        parts.push(json);
        from.shift();
      }
      if (parts.length === 0) {
        if (from.length === 0 || bytes + size <= MAX_BATCH_BYTES) return undefined;
        from.shift();  // one event larger than a whole request: it can never be sent
        drop(1);
        continue;
      }
      unreportedDrops -= carriedDrops;
      boundaries = [];
      return {
        body: head + parts.join(',') + tail, bytes, events: parts.length, carriedDrops, carriedDimensions,
        open: 0, keepalive: false, done: false,
      };
    }
    return undefined;
  }

  /** One transport send of `batch`; resolves with its error, or undefined once delivered. */
  async function send(batch: Batch, keepalive: boolean): Promise<unknown> {
    batch.open += 1;
    if (keepalive) {
      keepaliveBytes += batch.bytes;
      batch.keepalive = true;
    }
    try {
      await transport.send(batch.body, { traceparent: traceparent(traceId), keepalive });
      return undefined;
    } catch (error) {
      return error ?? new Error('m-trace: not sent');
    } finally {
      if (keepalive) {
        keepaliveBytes -= batch.bytes;
        batch.keepalive = false;
      }
    }
  }

  function settle(batch: Batch, error: unknown): void {
    batch.open -= 1;
    if (batch.done || (error !== undefined && batch.open > 0)) return;  // counted, or another send may still succeed
    batch.done = true;
    pending.delete(batch);
    if (error === undefined) {
      counters.sent += batch.events;
      if (batch.carriedDimensions) dimensionsDelivered = true;
    } else {
      drop(batch.events);
      unreportedDrops += batch.carriedDrops;
    }
  }

  /**
   * Delivers a batch taken off the queue. A keepalive request is tried once; when it fails but
   * not for good (network error, 408, 429, 5xx) the page lived on, and the ordinary retries follow.
   */
  async function deliver(batch: Batch, keepalive: boolean): Promise<void> {
    pending.add(batch);
    let error = await send(batch, keepalive);
    if (keepalive && error !== undefined && !(error instanceof TransportError && error.status !== undefined && !isRetryable(error.status))) {
      batch.open -= 1;  // this send ends, the next one begins
      error = await send(batch, false);
    }
    settle(batch, error);
  }

  /** While the page is hidden it may go away at any moment: batches go with keepalive when they fit. */
  const hidden = () => typeof document !== 'undefined' && document.visibilityState === 'hidden';

  async function drain(): Promise<void> {
    scheduled = false;
    for (;;) {
      const kept = hidden() ? nextBatch(keepaliveRoom(false)) : undefined;
      const batch = kept ?? nextBatch(MAX_BATCH_BYTES);
      if (!batch) return;
      await deliver(batch, kept !== undefined);
    }
  }

  function flush(): Promise<void> {
    chain = chain.then(drain);
    return chain;
  }

  function enqueue(name: string, meta: EventMeta | undefined): void {
    sequence += 1;
    if (sequence > reservedSequence) {
      reservedSequence = sequence + SEQUENCE_BLOCK - 1;
      sequences.write(reservedSequence);
    }
    queue.push({ name, at: Date.now(), sequence, meta: meta && { ...meta } });
    counters.queued += 1;
  }

  /** Keepalive body bytes that may go out now: up to 60 KiB in flight, 64 KiB for the end. */
  const keepaliveRoom = (forEnd: boolean) =>
    Math.min(MAX_KEEPALIVE_BYTES, (forEnd ? KEEPALIVE_QUOTA_BYTES : MAX_KEEPALIVE_BYTES) - keepaliveBytes);

  /** Runs a send that nothing awaits but destroy(). */
  function background(work: Promise<void>): void {
    hiding.add(work);
    void work.then(() => hiding.delete(work));
  }

  /**
   * Page hide: what is queued goes out now in keepalive requests, as far as the browser's budget
   * for keepalive bodies in flight allows; the rest stays queued. On `pagehide` the batches off
   * the queue that are still in flight or waiting to retry go again first, with keepalive: the
   * page and their ordinary requests are about to go (the server flags a repeat by its sequence
   * numbers). When the session just ended, session_ended (the queue's last event) goes out even
   * if events before it had to stay.
   */
  function sendOnHide(pageHide: boolean, final: boolean): void {
    if (pageHide) {
      for (const batch of pending) {
        if (!batch.keepalive && batch.bytes <= keepaliveRoom(false)) {
          background(send(batch, true).then((error) => settle(batch, error)));
        }
      }
    }
    for (let batch = nextBatch(keepaliveRoom(false)); batch; batch = nextBatch(keepaliveRoom(false))) {
      background(deliver(batch, true));
    }
    if (final && queue.length > 0) {
      const end = new Fifo<Queued>();
      end.push(queue.pop() as Queued);
      const batch = nextBatch(keepaliveRoom(true), end);
      if (batch) background(deliver(batch, true));
      else if (end.length > 0) queue.push(end.peek());
    }
  }

  const onVisibilityChange = () => {
    if (hidden() && active()) sendOnHide(false, false);
  };
  const onPageHide = (event: PageTransitionEvent) => {
    if (!active()) return;
    if (!event.persisted) {
      enqueue('session_ended', undefined);
      ended = true;
      stopTimers();
    }
    sendOnHide(true, !event.persisted);
  };
  const hooksPage = options.pageLifecycle !== false && typeof window !== 'undefined' && typeof document !== 'undefined';

  function startTimers(): void {
    if (timer !== undefined || flushIntervalMs === 0 || !active()) return;
    timer = setInterval(() => {
      if (queue.length > 0) void flush();
    }, flushIntervalMs);
    (timer as { unref?: () => void }).unref?.();
  }

  function stopTimers(): void {
    if (timer !== undefined) clearInterval(timer);
    timer = undefined;
  }

  if (hooksPage) {
    window.addEventListener('pagehide', onPageHide);
    document.addEventListener('visibilitychange', onVisibilityChange);
  }
  startTimers();

  return {
    sessionId,
    traceId,
    get active() {
      return active();
    },
    track(name: PlaybackEventName | string, meta?: EventMeta) {
      if (!active()) return;
      // The server refuses a whole batch for one such event: it alone is dropped, and counted.
      if (!isEventName(name) || (meta && invalidMetaKey(meta) !== undefined)) {
        counters.invalid += 1;
        drop(1);
        return;
      }
      if (queue.length >= maxQueueEvents) {
        drop(1);
        return;
      }
      enqueue(name, meta);
      if (queue.length >= batchSize && !scheduled) {
        scheduled = true;
        setTimeout(() => void flush(), 0);
      }
    },
    addBoundary(draft: BoundaryDraft) {
      if (!active()) return;
      if (boundaries.some((b) => b.network_kind === draft.networkKind && b.adapter === draft.adapter && b.reason === draft.reason)) return;
      if (boundaries.length >= MAX_BOUNDARIES) boundaries.shift();
      boundaries.push({
        kind: 'network_signal_absent',
        project_id: projectId,
        session_id: sessionId,
        network_kind: draft.networkKind,
        adapter: draft.adapter,
        reason: draft.reason,
        client_timestamp: new Date().toISOString(),
      });
    },
    setEnabled(on: boolean) {
      enabled = on;
      if (on) {
        startTimers();
        return;
      }
      stopTimers();
      queue.clear();
      boundaries = [];
    },
    flush,
    destroy() {
      if (destroyed) return destroyed;
      if (hooksPage) {
        window.removeEventListener('pagehide', onPageHide);
        document.removeEventListener('visibilitychange', onVisibilityChange);
      }
      stopTimers();
      const ending = active();
      if (ending) enqueue('session_ended', undefined);
      ended = true;
      // A hidden page may be on its way out (destroy() from a visibilitychange or pagehide
      // handler): what fits goes now, with keepalive, as on pagehide; the rest follows.
      if (ending && hidden()) sendOnHide(true, true);
      destroyed = flush().then(() => Promise.all(hiding)).then(() => undefined);
      return destroyed;
    },
    stats() {
      return { ...counters };
    },
  };
}
