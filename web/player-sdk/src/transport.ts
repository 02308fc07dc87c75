/**
 * HTTP delivery of batch bodies: `fetch` with `credentials: "omit"`, retries with jittered
 * exponential backoff on network errors, timeouts, 408, 429 and 5xx, `Retry-After` honoured up to
 * a cap, no retry on any other status. Page-hide delivery uses `keepalive` and a single attempt
 * (with the same timeout: a page that lives on must not wait for it forever; one that is gone no
 * longer runs the timer, and the browser carries the request through).
 */
export interface TransportOptions {
  endpoint: string;
  token: string;
  /** Attempts per batch including the first (default 4). */
  maxAttempts?: number;
  /** Backoff base: attempt n waits a random time in [d/2, d] with d = min(maxDelayMs, base·2^(n-1)). */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Upper bound on a server's `Retry-After` (default 30 s). */
  retryAfterCapMs?: number;
  /** Per-attempt timeout (default 10 s; 0 disables). */
  timeoutMs?: number;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

export interface SendOptions {
  traceparent?: string;
  /** Page may be going away: one `fetch(..., {keepalive: true})`, no retry. */
  keepalive?: boolean;
}

export interface Transport {
  send(body: string, options: SendOptions): Promise<void>;
}

/** A batch the server refused or that could not be delivered after all attempts. */
export class TransportError extends Error {
  constructor(message: string, readonly status?: number) {
    super(message);
    this.name = 'TransportError';
  }
}

/** Milliseconds from a `Retry-After` value (delta-seconds or HTTP date), or undefined. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Statuses worth another attempt: 408, 429 and 5xx. */
export function isRetryable(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

export function createHttpTransport(options: TransportOptions): Transport {
  const maxAttempts = Math.max(1, Math.floor(options.maxAttempts ?? 4));
  const baseDelayMs = options.baseDelayMs ?? 500;
  const maxDelayMs = options.maxDelayMs ?? 10_000;
  const retryAfterCapMs = options.retryAfterCapMs ?? 30_000;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const doFetch = options.fetch ?? ((input, init) => fetch(input, init));
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const random = options.random ?? Math.random;

  function backoff(attempt: number): number {
    const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1));
    return Math.round(ceiling / 2 + (random() * ceiling) / 2);
  }

  async function attempt(body: string, send: SendOptions): Promise<Response> {
    const headers: Record<string, string> = {
      'Content-Type': 'application/json',
      'X-MTrace-Token': options.token,
    };
    if (send.traceparent) headers.traceparent = send.traceparent;
    const init: RequestInit = { method: 'POST', credentials: 'omit', headers, body };
    if (send.keepalive) init.keepalive = true;
    if (timeoutMs <= 0) return doFetch(options.endpoint, init);
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    try {
      return await doFetch(options.endpoint, { ...init, signal: controller.signal });
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    async send(body, send) {
      const attempts = send.keepalive ? 1 : maxAttempts;
      let failure: TransportError = new TransportError('m-trace transport: not sent');
      for (let n = 1; n <= attempts; n++) {
        let wait = backoff(n);
        try {
          const response = await attempt(body, send);
          if (response.ok) return;
          failure = new TransportError(`m-trace transport: HTTP ${response.status}`, response.status);
          if (!isRetryable(response.status)) throw failure;
          const retryAfter = parseRetryAfter(response.headers.get('Retry-After'));
          if (retryAfter !== undefined) wait = Math.min(retryAfter, retryAfterCapMs);
        } catch (error) {
          if (error === failure) throw error;
          failure = new TransportError(`m-trace transport: ${(error as Error)?.message ?? String(error)}`);
        }
        if (n < attempts) await sleep(wait);
      }
      throw failure;
    },
  };
}
