// Client of the read API. Same-origin relative URLs; every call carries the read token in
// X-MTrace-Token. A 401 clears nothing by itself: it calls onUnauthorized so the app can ask
// for a token again, and rejects with UnauthorizedError.

import type {
  AppConfig, EventFilters, EventPage, Overview, PlaybackEvent, QoeReport, SessionDetail, SessionFilters,
  SessionPage, Status, StreamSession,
} from './types';

export const TOKEN_HEADER = 'X-MTrace-Token';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export class UnauthorizedError extends ApiError {
  constructor(message: string) {
    super(401, 'unauthorized', message);
    this.name = 'UnauthorizedError';
  }
}

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

export interface ApiClientOptions {
  fetch?: FetchLike;
  token: () => string | null;
  onUnauthorized?: () => void;
}

// Builds "path?a=1&b=2" from the defined, non-empty values.
export function withQuery(path: string, params: Record<string, string | number | boolean | undefined | null>): string {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === null || value === '' || value === false) continue;
    query.set(key, value === true ? '1' : String(value));
  }
  const text = query.toString();
  return text ? `${path}?${text}` : path;
}

async function errorFrom(response: Response, path: string): Promise<ApiError> {
  let code = `http_${response.status}`;
  let message = `${path} answered ${response.status}`;
  try {
    const body = (await response.json()) as { error?: unknown; message?: unknown };
    if (typeof body.error === 'string') code = body.error;
    if (typeof body.message === 'string' && body.message) message = `${body.message} (${response.status})`;
  } catch {
    // Not JSON: keep the generic message.
  }
  return response.status === 401 ? new UnauthorizedError(message) : new ApiError(response.status, code, message);
}

export class ApiClient {
  private readonly fetchImpl: FetchLike;

  constructor(private readonly options: ApiClientOptions) {
    this.fetchImpl = options.fetch ?? ((input, init) => fetch(input, init));
  }

  headers(extra: Record<string, string> = {}): Record<string, string> {
    const headers: Record<string, string> = { Accept: 'application/json', ...extra };
    const token = this.options.token();
    if (token) headers[TOKEN_HEADER] = token;
    return headers;
  }

  async request(path: string, init: RequestInit = {}): Promise<Response> {
    const response = await this.fetchImpl(path, {
      cache: 'no-store',
      ...init,
      headers: this.headers(init.headers as Record<string, string> | undefined),
    });
    if (response.ok) return response;
    const error = await errorFrom(response, path);
    if (error instanceof UnauthorizedError) this.options.onUnauthorized?.();
    throw error;
  }

  async getJson<T>(path: string, init: RequestInit = {}): Promise<T> {
    const response = await this.request(path, init);
    return (await response.json()) as T;
  }

  // GET /api/config needs no token; it tells whether this is the lab and its demo token.
  async config(): Promise<AppConfig> {
    const response = await this.fetchImpl('/api/config', { cache: 'no-store', headers: { Accept: 'application/json' } });
    if (!response.ok) throw await errorFrom(response, '/api/config');
    return (await response.json()) as AppConfig;
  }

  listSessions(filters: SessionFilters = {}, cursor?: string, limit = 100, signal?: AbortSignal): Promise<SessionPage> {
    return this.getJson(withQuery('/api/stream-sessions', { limit, ...filters, cursor }), { signal });
  }

  // `projectId` names the session's project: an admin token, which sees every project, must give
  // it (the server answers 404 otherwise); a project token may omit it.
  getSession(id: string, eventsLimit = 1000, eventsCursor?: string, signal?: AbortSignal, projectId?: string): Promise<SessionDetail> {
    const path = withQuery(`/api/stream-sessions/${encodeURIComponent(id)}`, {
      project_id: projectId,
      events_limit: eventsLimit,
      events_cursor: eventsCursor,
    });
    return this.getJson(path, { signal });
  }

  async deleteSession(id: string, projectId?: string): Promise<void> {
    await this.request(withQuery(`/api/stream-sessions/${encodeURIComponent(id)}`, { project_id: projectId }), { method: 'DELETE' });
  }

  listEvents(filters: EventFilters = {}, cursor?: string, limit = 100, signal?: AbortSignal): Promise<EventPage> {
    return this.getJson(withQuery('/api/events', { limit, ...filters, cursor }), { signal });
  }

  overview(signal?: AbortSignal): Promise<Overview> {
    return this.getJson('/api/overview', { signal });
  }

  status(signal?: AbortSignal): Promise<Status> {
    return this.getJson('/api/status', { signal });
  }

  // null when the server does not have the endpoint (404). `bucket` is in whole seconds.
  async qoe(from: string, until: string, bucketSeconds: number, signal?: AbortSignal): Promise<QoeReport | null> {
    try {
      return await this.getJson(withQuery('/api/qoe', { from, until, bucket: bucketSeconds }), { signal });
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) return null;
      throw error;
    }
  }

  // GET /api/health; a network failure is reported as status 0, never thrown.
  async health(): Promise<{ ok: boolean; status: number; body: string }> {
    try {
      const response = await this.fetchImpl('/api/health', { cache: 'no-store', headers: this.headers() });
      return { ok: response.ok, status: response.status, body: await response.text() };
    } catch (error) {
      return { ok: false, status: 0, body: error instanceof Error ? error.message : String(error) };
    }
  }
}

// A session with the events read so far. `tailCursor` is the cursor of the last page read
// (undefined for the first page) and `tailStart` the index of that page's first event, so
// refreshTail can re-read only the last page and what follows it when new events arrive.
export interface LoadedSession {
  session: StreamSession;
  events: PlaybackEvent[];
  nextCursor?: string;
  tailCursor?: string;
  tailStart: number;
}

// A session named by id, with its project when known (needed with an admin token).
export type SessionRef = string | { id: string; projectId?: string };

function refParts(ref: SessionRef): { id: string; projectId?: string } {
  return typeof ref === 'string' ? { id: ref } : ref;
}

// Reads a session and pages through its events with events_cursor, at most maxPages pages.
export function loadSession(
  api: ApiClient, id: SessionRef, pageSize = 1000, maxPages = 10, signal?: AbortSignal,
): Promise<LoadedSession> {
  return readPages(api, id, null, undefined, pageSize, maxPages, signal);
}

// Reads the pages after the last one read (the "load more" of a long session).
export function loadMoreEvents(
  api: ApiClient, id: SessionRef, loaded: LoadedSession, pageSize = 1000, maxPages = 10, signal?: AbortSignal,
): Promise<LoadedSession> {
  if (!loaded.nextCursor) return Promise.resolve(loaded);
  return readPages(api, id, loaded, loaded.nextCursor, pageSize, maxPages, signal);
}

// Re-reads the last page read and any page after it; the events before it are kept.
export function refreshTail(
  api: ApiClient, id: SessionRef, loaded: LoadedSession, pageSize = 1000, maxPages = 10, signal?: AbortSignal,
): Promise<LoadedSession> {
  const kept = { ...loaded, events: loaded.events.slice(0, loaded.tailStart) };
  return readPages(api, id, kept, loaded.tailCursor, pageSize, maxPages, signal);
}

async function readPages(
  api: ApiClient, id: SessionRef, base: LoadedSession | null, cursor: string | undefined,
  pageSize: number, maxPages: number, signal?: AbortSignal,
): Promise<LoadedSession> {
  let result = base;
  let next = cursor;
  for (let page = 0; page < maxPages; page++) {
    const events = result?.events ?? [];
    const { id: sessionId, projectId } = refParts(id);
    const detail = await api.getSession(sessionId, pageSize, next, signal, projectId);
    result = {
      session: detail.session,
      events: events.concat(detail.events ?? []),
      nextCursor: detail.next_cursor,
      tailCursor: next,
      tailStart: events.length,
    };
    if (!detail.next_cursor) break;
    next = detail.next_cursor;
  }
  if (!result) throw new Error('no page read');
  return result;
}
