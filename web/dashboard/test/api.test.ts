import { describe, expect, it } from 'vitest';
import { ApiClient, ApiError, UnauthorizedError, loadMoreEvents, loadSession, refreshTail, withQuery } from '../src/api';
import { fakeFetch, json } from './helpers';

function event(seq: number) {
  return { event_name: 'segment_loaded', project_id: 'demo', session_id: 's1', server_received_at: '2026-05-01T12:00:00Z', ingest_sequence: seq };
}

describe('ApiClient', () => {
  it('sends the read token and asks for JSON on every read', async () => {
    const { fetch, calls } = fakeFetch(() => json({ sessions: [] }));
    const api = new ApiClient({ fetch, token: () => 'secret-1' });
    await api.listSessions({ state: 'active', content_id: 'a b' }, 'CUR');
    expect(calls[0].headers['X-MTrace-Token']).toBe('secret-1');
    expect(calls[0].headers.Accept).toBe('application/json');
    const url = new URL(calls[0].url, 'http://x');
    expect(url.pathname).toBe('/api/stream-sessions');
    expect(url.searchParams.get('state')).toBe('active');
    expect(url.searchParams.get('content_id')).toBe('a b');
    expect(url.searchParams.get('cursor')).toBe('CUR');
  });

  it('asks for /api/config without a token', async () => {
    const { fetch, calls } = fakeFetch(() => json({ lab: true, demo_token: 'demo-token' }));
    const api = new ApiClient({ fetch, token: () => 'secret-1' });
    expect((await api.config()).demo_token).toBe('demo-token');
    expect(calls[0].headers['X-MTrace-Token']).toBeUndefined();
  });

  it('escapes the session id into one path segment', async () => {
    const { fetch, calls } = fakeFetch(() => json({ session: {}, events: [] }));
    const api = new ApiClient({ fetch, token: () => 't' });
    await api.getSession('../x?y#z', 1000, 'C1');
    expect(calls[0].url).toBe('/api/stream-sessions/..%2Fx%3Fy%23z?events_limit=1000&events_cursor=C1');
  });

  it('reports 401 to onUnauthorized and rejects with UnauthorizedError', async () => {
    const { fetch } = fakeFetch(() => json({ error: 'unauthorized', message: 'bad token' }, 401));
    let told = 0;
    const api = new ApiClient({ fetch, token: () => 'wrong', onUnauthorized: () => told++ });
    const failure = api.overview();
    await expect(failure).rejects.toBeInstanceOf(UnauthorizedError);
    expect(told).toBe(1);
  });

  it('carries the error code and message of the error body', async () => {
    const { fetch } = fakeFetch(() => json({ error: 'cursor_invalid_malformed', message: 'bad cursor' }, 400));
    const api = new ApiClient({ fetch, token: () => 't' });
    const error = await api.listEvents({}, 'junk').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).code).toBe('cursor_invalid_malformed');
    expect((error as ApiError).message).toContain('bad cursor');
    expect((error as ApiError).status).toBe(400);
  });

  it('passes the events filters to GET /api/events', async () => {
    const { fetch, calls } = fakeFetch(() => json({ events: [] }));
    const api = new ApiClient({ fetch, token: () => 't' });
    await api.listEvents({ errors_only: true, event_name: 'playback_error', from: '2026-05-01T00:00:00.000Z' }, undefined, 50);
    const url = new URL(calls[0].url, 'http://x');
    expect(url.pathname).toBe('/api/events');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      limit: '50', errors_only: '1', event_name: 'playback_error', from: '2026-05-01T00:00:00.000Z',
    });
  });

  it('treats a missing /api/qoe as no aggregate', async () => {
    const { fetch } = fakeFetch(() => json({ error: 'not_found', message: 'no route' }, 404));
    const api = new ApiClient({ fetch, token: () => 't' });
    expect(await api.qoe('a', 'b', 3600)).toBeNull();
  });

  it('reports an unreachable health endpoint as status 0', async () => {
    const api = new ApiClient({ fetch: () => Promise.reject(new TypeError('network down')), token: () => 't' });
    expect(await api.health()).toEqual({ ok: false, status: 0, body: 'network down' });
  });

  it('builds query strings from defined values only', () => {
    expect(withQuery('/p', { a: 1, b: undefined, c: '', d: false, e: true })).toBe('/p?a=1&e=1');
    expect(withQuery('/p', {})).toBe('/p');
  });
});

describe('session event paging', () => {
  // Three pages of two events: cursors P2 and P3, the last page has none.
  const pages: Record<string, { events: ReturnType<typeof event>[]; next_cursor?: string }> = {
    '': { events: [event(1), event(2)], next_cursor: 'P2' },
    P2: { events: [event(3), event(4)], next_cursor: 'P3' },
    P3: { events: [event(5)] },
  };
  const respond = (url: string) => {
    const cursor = new URL(url, 'http://x').searchParams.get('events_cursor') ?? '';
    return json({ session: { session_id: 's1', project_id: 'demo', state: 'active', started_at: '' }, ...pages[cursor] });
  };

  it('follows events_cursor to the last page', async () => {
    const { fetch, calls } = fakeFetch(respond);
    const api = new ApiClient({ fetch, token: () => 't' });
    const loaded = await loadSession(api, 's1', 2, 10);
    expect(loaded.events.map((e) => e.ingest_sequence)).toEqual([1, 2, 3, 4, 5]);
    expect(loaded.nextCursor).toBeUndefined();
    expect(loaded.tailCursor).toBe('P3');
    expect(loaded.tailStart).toBe(4);
    expect(calls.map((c) => new URL(c.url, 'http://x').searchParams.get('events_cursor'))).toEqual([null, 'P2', 'P3']);
  });

  it('stops after maxPages and continues with loadMoreEvents', async () => {
    const { fetch } = fakeFetch(respond);
    const api = new ApiClient({ fetch, token: () => 't' });
    const first = await loadSession(api, 's1', 2, 1);
    expect(first.events.map((e) => e.ingest_sequence)).toEqual([1, 2]);
    expect(first.nextCursor).toBe('P2');
    const rest = await loadMoreEvents(api, 's1', first, 2, 10);
    expect(rest.events.map((e) => e.ingest_sequence)).toEqual([1, 2, 3, 4, 5]);
  });

  it('refreshTail re-reads only the last page and keeps the earlier events', async () => {
    const { fetch, calls } = fakeFetch(respond);
    const api = new ApiClient({ fetch, token: () => 't' });
    const loaded = await loadSession(api, 's1', 2, 10);
    pages.P3 = { events: [event(5), event(6)], next_cursor: 'P4' };
    pages.P4 = { events: [event(7)] };
    calls.length = 0;
    const refreshed = await refreshTail(api, 's1', loaded, 2, 10);
    expect(calls.map((c) => new URL(c.url, 'http://x').searchParams.get('events_cursor'))).toEqual(['P3', 'P4']);
    expect(refreshed.events.map((e) => e.ingest_sequence)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(refreshed.tailCursor).toBe('P4');
  });
});
