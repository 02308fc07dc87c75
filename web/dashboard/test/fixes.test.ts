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
