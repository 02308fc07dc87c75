import { afterEach, describe, expect, it, vi } from 'vitest';
import { sessionDetailView } from '../src/views/session-detail';
import { matchesFilters, sessionsView } from '../src/views/sessions';
import type { StreamSession } from '../src/types';
import { json, makeContext, settle } from './helpers';

function session(id: string, startedAt: string, state = 'active', extra: Partial<StreamSession> = {}): StreamSession {
  return { session_id: id, project_id: 'demo', state, started_at: startedAt, event_count: 1, ...extra };
}

let root: HTMLElement;
afterEach(() => {
  root?.remove();
  vi.useRealTimers();
});

function mount(): HTMLElement {
  root = document.createElement('div');
  document.body.appendChild(root);
  return root;
}

const rowIds = () => [...root.querySelectorAll('[data-testid="session-row"]')].map((row) => row.getAttribute('data-session-id'));

describe('sessions list', () => {
  it('sends the filters of the URL to the server', async () => {
    const { context, calls } = makeContext(() => json({ sessions: [] }), '/sessions?state=ended&player_name=hls.js&q=ab');
    const cleanup = sessionsView(mount(), context);
    await settle();
    const query = new URL(calls[0].url, 'http://x').searchParams;
    expect(query.get('state')).toBe('ended');
    expect(query.get('player_name')).toBe('hls.js');
    expect(query.get('q')).toBe('ab');
    expect(root.textContent).toContain('No session matches these filters.');
    cleanup?.();
  });

  it('adds new sessions and applies state changes from session_updated frames', async () => {
    const { context, live } = makeContext(() => json({ sessions: [session('old', '2026-05-01T10:00:00Z')] }), '/sessions?state=active');
    const cleanup = sessionsView(mount(), context);
    await settle();
    expect(rowIds()).toEqual(['old']);

    live.dispatch({ event: 'session_updated', data: JSON.stringify(session('new', '2026-05-01T11:00:00Z')) });
    expect(rowIds()).toEqual(['new', 'old']);

    live.dispatch({ id: '10', event: 'event_appended', data: JSON.stringify({ project_id: 'demo', session_id: 'new', ingest_sequence: 10, event_name: 'x', server_received_at: '2026-05-01T11:05:00.000Z' }) });
    expect(root.querySelector('[data-session-id="new"] [data-testid="session-event-count"]')!.textContent).toBe('2');
    expect(root.querySelector('[data-session-id="new"] [data-testid="session-last-event"] time')!.getAttribute('datetime')).toBe('2026-05-01T11:05:00.000Z');

    // It ends: with the filter state=active it leaves the list.
    live.dispatch({ event: 'session_updated', data: JSON.stringify(session('new', '2026-05-01T11:00:00Z', 'ended')) });
    expect(rowIds()).toEqual(['old']);
    cleanup?.();
  });

  it('mirrors the server filters for live frames', () => {
    const s = session('abc123', '2026-05-01T11:00:00Z', 'active', { dimensions: { player_name: 'dash.js' }, last_error_code: 'E1' });
    expect(matchesFilters(s, { q: 'abc', player_name: 'dash.js', error_code: 'E1' })).toBe(true);
    expect(matchesFilters(s, { q: 'bc' })).toBe(false);
    expect(matchesFilters(s, { from: '2026-05-01T11:00:00Z', until: '2026-05-01T11:00:01Z' })).toBe(true);
    expect(matchesFilters(s, { until: '2026-05-01T11:00:00Z' })).toBe(false);
    expect(matchesFilters(s, { content_id: 'x' })).toBe(false);
  });
});

describe('session detail', () => {
  const base = session('s1', '2026-05-01T12:00:00Z', 'active', { qoe: { startup_ms: 1234, rebuffer_count: 0 } });
  function ev(seq: number, name = 'segment_loaded') {
    return { event_name: name, project_id: 'demo', session_id: 's1', server_received_at: `2026-05-01T12:00:0${seq}Z`, ingest_sequence: seq };
  }

  it('shows the startup time and fetches new events when they land', async () => {
    let events = [ev(1, 'play_requested'), ev(2, 'playback_started')];
    const { context, live, calls } = makeContext(() => json({ session: base, events }), '/sessions/s1');
    const cleanup = sessionDetailView(mount(), context);
    await settle(20);
    expect(root.querySelector('[data-testid="startup-time"]')!.textContent).toBe('1.23 s');
    const names = () => [...root.querySelectorAll('[data-testid="timeline-event"]')].map((item) => item.getAttribute('data-event-name'));
    expect(names()).toEqual(['play_requested', 'playback_started']);

    events = [...events, ev(3, 'rebuffer_started')];
    calls.length = 0;
    // Frames of other sessions change nothing; this session's frames trigger one fetch.
    live.dispatch({ id: '50', event: 'event_appended', data: JSON.stringify({ session_id: 'other', ingest_sequence: 50, event_name: 'x' }) });
    live.dispatch({ id: '3', event: 'event_appended', data: JSON.stringify({ session_id: 's1', ingest_sequence: 3, event_name: 'rebuffer_started' }) });
    await new Promise((resolve) => setTimeout(resolve, 450));
    await settle(20);
    expect(calls).toHaveLength(1);
    expect(calls[0].url).toBe('/api/stream-sessions/s1?events_limit=1000');
    expect(names()).toEqual(['play_requested', 'playback_started', 'rebuffer_started']);
    expect(root.querySelector('[data-testid="stall-count"]')!.textContent).toBe('0');
    cleanup?.();
  });

  it('says so when the session does not exist', async () => {
    const { context } = makeContext(() => json({ error: 'not_found', message: 'no such session' }, 404), '/sessions/gone');
    const cleanup = sessionDetailView(mount(), context);
    await settle(20);
    expect(root.textContent).toContain('This session does not exist');
    cleanup?.();
  });

  it('deletes the session after confirmation and goes back to the list', async () => {
    const { context, calls, navigations } = makeContext((_url, init) =>
      init.method === 'DELETE' ? new Response(null, { status: 204 }) : json({ session: base, events: [] }), '/sessions/s1');
    vi.stubGlobal('confirm', () => true);
    const cleanup = sessionDetailView(mount(), context);
    await settle(20);
    (root.querySelector('[data-testid="delete-session"]') as HTMLButtonElement).click();
    await settle();
    expect(calls.some((call) => call.init.method === 'DELETE' && call.url === '/api/stream-sessions/s1')).toBe(true);
    expect(navigations).toEqual(['/sessions']);
    cleanup?.();
    vi.unstubAllGlobals();
  });
});

describe('overview QoE summary', () => {
  it('takes the median startup and averages rebuffering over started sessions only', async () => {
    const { summarizeQoe } = await import('../src/views/overview');
    const s = (qoe: StreamSession['qoe']) => session('x', '2026-05-01T11:00:00Z', 'ended', { qoe });
    const summary = summarizeQoe([
      s({ started: true, startup_ms: 400, rebuffer_ratio: 0.1, rebuffer_count: 2, watch_ms: 10_000, rebuffer_ms: 1_000 }),
      s({ started: true, startup_ms: 1000, rebuffer_ratio: 0, rebuffer_count: 0, watch_ms: 30_000, rebuffer_ms: 0 }),
      s({ started: true, startup_ms: 700, rebuffer_ratio: 0.02, rebuffer_count: 1, failed: true, watch_ms: 10_000, rebuffer_ms: 200 }),
      s({ started: false, rebuffer_ratio: 0, exited_before_start: true }),
      // Failed before its first frame: a failure, not an exit before start (as the server counts).
      s({ started: false, exited_before_start: true, failed_before_start: true, failed: true }),
      session('no-qoe', '2026-05-01T11:00:00Z'),
    ]);
    expect(summary.sessions).toBe(5);
    expect(summary.medianStartupMs).toBe(700);
    // Total rebuffering over total watch time: 1 200 / 50 000 ms, not the mean of the ratios (0.04).
    expect(summary.meanRebufferRatio).toBeCloseTo(0.024);
    expect(summary.withStalls).toBe(2);
    expect(summary.failed).toBe(2);
    expect(summary.exitedBeforeStart).toBe(1);
  });
});

describe('small view helpers', () => {
  it('takes only the known session filters from the URL', async () => {
    const { filtersFromQuery } = await import('../src/views/sessions');
    expect(filtersFromQuery(new URLSearchParams('state=active&q=ab&bogus=1&content_id='))).toEqual({ state: 'active', q: 'ab' });
  });
});

describe('overview page', () => {
  it('shows sessions by state and errors, and does without /api/qoe', async () => {
    const { overviewView } = await import('../src/views/overview');
    const { context, calls } = makeContext((url) => {
      if (url === '/api/overview') return json({ sessions: { active: 3, stalled: 1, ended: 7 }, events_per_second: 2.25, errors_last_hour: 1000, errors_last_hour_capped: true });
      if (url.startsWith('/api/qoe')) return json({ error: 'not_found', message: 'QoE aggregates are not available' }, 404);
      return json({ sessions: [session('a', '2026-05-01T11:00:00Z', 'active', { qoe: { started: true, startup_ms: 900, rebuffer_ratio: 0 } })] });
    }, '/');
    const cleanup = overviewView(mount(), context);
    await settle(20);
    const text = (id: string) => root.querySelector(`[data-testid="${id}"]`)!.textContent;
    expect([text('overview-active'), text('overview-stalled'), text('overview-ended')]).toEqual(['3', '1', '7']);
    expect(text('overview-errors')).toBe(`${(1000).toLocaleString()}+`);
    expect(text('overview-startup')).toBe('900 ms');
    const qoeCall = new URL(calls.find((call) => call.url.startsWith('/api/qoe'))!.url, 'http://x');
    expect(Date.parse(qoeCall.searchParams.get('until')!) - Date.parse(qoeCall.searchParams.get('from')!)).toBe(24 * 3600 * 1000);
    expect(root.querySelector('[role="alert"]')).toBeNull();
    cleanup?.();
  });
});
