import { afterEach, describe, expect, it, vi } from 'vitest';
import { sessionDetailView } from '../src/views/session-detail';
import { sessionsView } from '../src/views/sessions';
import type { StreamSession } from '../src/types';
import { json, makeContext, settle } from './helpers';

function session(id: string, project: string, extra: Partial<StreamSession> = {}): StreamSession {
  return { session_id: id, project_id: project, state: 'active', started_at: '2026-05-01T11:00:00Z', event_count: 1, ...extra };
}

let root: HTMLElement;
afterEach(() => {
  root?.remove();
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

function mount(): HTMLElement {
  root = document.createElement('div');
  document.body.appendChild(root);
  return root;
}

describe('admin token: sessions of several projects', () => {
  it('keeps equal session ids of two projects apart and links each with its project', async () => {
    const { context, live } = makeContext(() => json({ sessions: [session('same', 'p1'), session('same', 'p2', { started_at: '2026-05-01T10:00:00Z' })] }), '/sessions');
    const cleanup = sessionsView(mount(), context);
    await settle();
    const rows = () => [...root.querySelectorAll('[data-testid="session-row"]')];
    expect(rows()).toHaveLength(2);
    expect(rows().map((row) => row.querySelector('a')!.getAttribute('href')))
      .toEqual(['/sessions/same?project_id=p1', '/sessions/same?project_id=p2']);
    // An update of p2's session changes p2's row only.
    live.dispatch({ event: 'session_updated', data: JSON.stringify(session('same', 'p2', { started_at: '2026-05-01T10:00:00Z', state: 'ended', event_count: 9 })) });
    expect(rows()).toHaveLength(2);
    expect(rows().map((row) => row.getAttribute('data-state'))).toEqual(['active', 'ended']);
    expect(rows().map((row) => row.querySelector('[data-testid="session-event-count"]')!.textContent)).toEqual(['1', '9']);
    cleanup?.();
  });

  it('reads and deletes the session with the project of its link', async () => {
    const { context, calls, navigations } = makeContext((_url, init) =>
      init.method === 'DELETE' ? new Response(null, { status: 204 }) : json({ session: session('s1', 'p2'), events: [] }), '/sessions/s1?project_id=p2');
    vi.stubGlobal('confirm', () => true);
    const cleanup = sessionDetailView(mount(), context);
    await settle(20);
    expect(calls[0].url).toBe('/api/stream-sessions/s1?project_id=p2&events_limit=1000');
    (root.querySelector('[data-testid="delete-session"]') as HTMLButtonElement).click();
    await settle();
    expect(calls.some((call) => call.init.method === 'DELETE' && call.url === '/api/stream-sessions/s1?project_id=p2')).toBe(true);
    expect(navigations).toEqual(['/sessions']);
    cleanup?.();
  });
});

describe('live event counts of the sessions list', () => {
  it('does not count again the events a session_updated frame already counted', async () => {
    const { context, live } = makeContext(() => json({ sessions: [] }), '/sessions');
    const cleanup = sessionsView(mount(), context);
    await settle();
    const at = '2026-05-01T11:00:05.000Z';
    const count = () => root.querySelector('[data-session-id="s"] [data-testid="session-event-count"]')!.textContent;
    const appended = (seq: number, receivedAt: string) => live.dispatch({ id: String(seq), event: 'event_appended', data: JSON.stringify({ project_id: 'p', session_id: 's', ingest_sequence: seq, event_name: 'x', server_received_at: receivedAt }) });
    // A new session's first batch of 3: session_updated (event_count 3) then its 3 events.
    live.dispatch({ event: 'session_updated', data: JSON.stringify(session('s', 'p', { event_count: 3, last_event_at: at })) });
    appended(11, at);
    appended(12, at);
    appended(13, at);
    expect(count()).toBe('3');
    // A later batch without state change has no session_updated: its events are counted.
    appended(14, '2026-05-01T11:00:06.000Z');
    appended(15, '2026-05-01T11:00:06.000Z');
    expect(count()).toBe('5');
    // The same event again (no id, e.g. read twice around a backfill) is not counted twice.
    live.dispatch({ event: 'event_appended', data: JSON.stringify({ project_id: 'p', session_id: 's', ingest_sequence: 15, event_name: 'x', server_received_at: '2026-05-01T11:00:06.000Z' }) });
    expect(count()).toBe('5');
    cleanup?.();
  });
});

describe('overview: server QoE aggregate', () => {
  const report = {
    from: '2026-05-01T00:00:00.000Z', until: '2026-05-02T00:00:00.000Z', bucket_s: 3600, by: null, truncated: false,
    buckets: [
      { start: '2026-05-01T00:00:00.000Z', sessions: 0, started: 0, watch_ms: 0, rebuffer_ms: 0, rebuffer_ratio: null, failure_rate: null, exit_before_start_rate: null, startup_ms: null, startup_score_avg: null, smoothness_score_avg: null },
      { start: '2026-05-01T01:00:00.000Z', sessions: 4, started: 3, watch_ms: 90_000, rebuffer_ms: 9_000, rebuffer_ratio: 0.1, failure_rate: 0.25, exit_before_start_rate: 0, startup_ms: { p50: 800, p90: 1500, p95: 2100 }, startup_score_avg: 90, smoothness_score_avg: 80 },
      { start: '2026-05-01T02:00:00.000Z', sessions: 1, started: 1, watch_ms: 10_000, rebuffer_ms: 1_000, rebuffer_ratio: 0.1, failure_rate: 0, exit_before_start_rate: 0, startup_ms: { p50: 500, p90: 500, p95: 500 }, startup_score_avg: 95, smoothness_score_avg: 90 },
    ],
  };
  const sessions = [session('a', 'p', { qoe: { started: true, startup_ms: 900, watch_ms: 1000, rebuffer_ms: 0 } })];

  it('asks for buckets in whole seconds and shows the report of buckets', async () => {
    const { overviewView } = await import('../src/views/overview');
    const { context, calls } = makeContext((url) => {
      if (url === '/api/overview') return json({ sessions: {} });
      if (url.startsWith('/api/qoe')) {
        const bucket = new URL(url, 'http://x').searchParams.get('bucket');
        return /^\d+$/.test(bucket ?? '') ? json(report) : json({ error: 'qoe_query_invalid', message: 'bucket: expected whole seconds, 1 to 31622400' }, 400);
      }
      return json({ sessions });
    }, '/');
    const cleanup = overviewView(mount(), context);
    await settle(20);
    const qoeCall = new URL(calls.find((call) => call.url.startsWith('/api/qoe'))!.url, 'http://x');
    expect(qoeCall.searchParams.get('bucket')).toBe('3600');
    const aggregate = root.querySelector('[data-testid="overview-qoe-aggregate"]')!;
    expect(aggregate.textContent).toContain('5'); // sessions over all buckets
    expect(aggregate.textContent).toContain('10'); // 10 000 / 100 000 ms rebuffered
    expect(root.querySelectorAll('[data-testid="overview-qoe-bucket"]')).toHaveLength(2);
    expect(root.querySelector('[data-testid="overview-qoe-error"]')).toBeNull();
    cleanup?.();
  });

  it('adds the buckets up: rebuffer ratio from the totals, rates from counts', async () => {
    const { qoeReportTotals } = await import('../src/views/overview');
    const totals = qoeReportTotals(report);
    expect(totals.sessions).toBe(5);
    expect(totals.started).toBe(4);
    expect(totals.rebufferRatio).toBeCloseTo(0.1);
    expect(totals.failureRate).toBeCloseTo(0.2);
  });

  it('says so when the server refuses the request', async () => {
    const { overviewView } = await import('../src/views/overview');
    const { context } = makeContext((url) => {
      if (url === '/api/overview') return json({ sessions: {} });
      if (url.startsWith('/api/qoe')) return json({ error: 'qoe_query_invalid', message: 'bucket: the range holds more than 1000 buckets' }, 400);
      return json({ sessions });
    }, '/');
    const cleanup = overviewView(mount(), context);
    await settle(20);
    expect(root.querySelector('[data-testid="overview-qoe-error"]')!.textContent).toContain('more than 1000 buckets');
    cleanup?.();
  });
});

describe('session page: load more and live updates', () => {
  it('a live frame does not cancel "Load more events"', async () => {
    const ev = (seq: number) => ({ event_name: 'segment_loaded', project_id: 'p', session_id: 's1', server_received_at: '2026-05-01T12:00:00Z', ingest_sequence: seq });
    let release: () => void = () => {};
    const { context, live } = makeContext((url, init) => {
      // The first load reads 10 pages (its limit) of one event each, and leaves cursor P10.
      const page = Number((new URL(url, 'http://x').searchParams.get('events_cursor') ?? 'P0').slice(1));
      if (page < 10) return json({ session: session('s1', 'p'), events: [ev(page + 1)], next_cursor: `P${page + 1}` });
      // The second page answers late, and gives up when its request is aborted.
      return new Promise<Response>((resolve, reject) => {
        init.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')));
        release = () => resolve(json({ session: session('s1', 'p'), events: [ev(11), ev(12)] }));
      });
    }, '/sessions/s1?project_id=p');
    const cleanup = sessionDetailView(mount(), context);
    await settle(20);
    const shown = () => root.querySelectorAll('[data-testid="timeline-event"]').length;
    expect(shown()).toBe(10);
    (root.querySelector('[data-testid="load-more-events"]') as HTMLButtonElement).click();
    await settle();
    live.dispatch({ id: '5', event: 'event_appended', data: JSON.stringify({ project_id: 'p', session_id: 's1', ingest_sequence: 5, event_name: 'x' }) });
    await new Promise((resolve) => setTimeout(resolve, 450));
    await settle(20);
    release();
    await settle(20);
    expect(shown()).toBe(12);
    expect(root.querySelector('[data-testid="load-more-events"]')).toBeNull();
    cleanup?.();
  });
});

describe('live growth of the sessions list', () => {
  it('keeps at most the rows loaded plus a page, newest first', async () => {
    const { context, live, calls } = makeContext(() => json({ sessions: [session('old-1', 'p', { started_at: '2026-05-01T10:00:01Z' }), session('old-2', 'p', { started_at: '2026-05-01T10:00:00Z' })] }), '/sessions');
    const cleanup = sessionsView(mount(), context);
    await settle();
    for (let i = 0; i < 150; i++) {
      const started = new Date(Date.parse('2026-05-01T11:00:00Z') + i * 1000).toISOString();
      live.dispatch({ event: 'session_updated', data: JSON.stringify(session(`new-${i}`, 'p', { started_at: started })) });
    }
    const ids = [...root.querySelectorAll('[data-testid="session-row"]')].map((row) => row.getAttribute('data-session-id'));
    expect(ids).toHaveLength(102);
    expect(ids[0]).toBe('new-149');
    expect(ids.at(-1)).toBe('new-48');
    // The dropped rows can be had again: "Load more" reads the list from the start.
    expect(root.textContent).toContain('(more available)');
    calls.length = 0;
    ([...root.querySelectorAll('button')].find((b) => b.textContent === 'Load more') as HTMLButtonElement).click();
    await settle();
    expect(calls[0].url).toBe('/api/stream-sessions?limit=100');
    cleanup?.();
  });
});
