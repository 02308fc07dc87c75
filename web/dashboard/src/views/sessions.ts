// Sessions list: server-side filters in the URL, "load more" by cursor, and live updates from
// session_updated frames (new sessions and state changes appear without reload).

import { statePill, time, sessionLink } from '../components';
import type { View } from '../context';
import { empty, errorBox, h, loading, replaceChildren } from '../dom';
import { formatNumber, localInputToRfc3339, rfc3339ToLocalInput } from '../format';
import type { SessionFilters, StreamSession } from '../types';

const TEXT_FILTERS: [keyof SessionFilters, string][] = [
  ['q', 'Session id'],
  ['content_id', 'Content id'],
  ['player_name', 'Player'],
  ['error_code', 'Error code'],
  ['project_id', 'Project (admin token)'],
];

const POLL_MS = 5000;
const PAGE_SIZE = 100;

const FILTER_KEYS: (keyof SessionFilters)[] = ['state', 'project_id', 'content_id', 'player_name', 'error_code', 'q', 'from', 'until'];

export function filtersFromQuery(query: URLSearchParams): SessionFilters {
  const filters: SessionFilters = {};
  for (const key of FILTER_KEYS) {
    const value = query.get(key);
    if (value) filters[key] = value;
  }
  return filters;
}

// Whether a session pushed by the live stream belongs in the filtered list. The server decides
// for pages it answers; this mirrors its filters for frames.
export function matchesFilters(session: StreamSession, filters: SessionFilters): boolean {
  if (filters.state && session.state !== filters.state) return false;
  if (filters.project_id && session.project_id !== filters.project_id) return false;
  if (filters.content_id && session.dimensions?.content_id !== filters.content_id) return false;
  if (filters.player_name && session.dimensions?.player_name !== filters.player_name) return false;
  if (filters.error_code && session.last_error_code !== filters.error_code) return false;
  if (filters.q && !session.session_id.startsWith(filters.q)) return false;
  const started = Date.parse(session.started_at);
  if (filters.from && !(started >= Date.parse(filters.from))) return false;
  if (filters.until && !(started < Date.parse(filters.until))) return false;
  return true;
}

// Rows are keyed by project and session: two projects may use the same session id.
export function rowKey(session: { project_id?: string; session_id: string }): string {
  return `${session.project_id ?? ''}\u0000${session.session_id}`;
}

function sessionRow(session: StreamSession): HTMLElement {
  const dims = session.dimensions ?? {};
  const errors = session.error_count ?? 0;
  return h('tr', { 'data-testid': 'session-row', 'data-session-id': session.session_id, 'data-project-id': session.project_id, 'data-state': session.state },
    h('td', null, sessionLink(session.session_id, 'session-link', session.project_id)),
    h('td', null, statePill(session.state),
      session.end_source ? h('span', { class: 'muted small' }, ` via ${session.end_source}`) : null),
    h('td', { class: 'wide-only' }, session.project_id),
    h('td', { class: 'wide-only' }, dims.content_title || dims.content_id || '—'),
    h('td', { class: 'wide-only' }, [dims.player_name, dims.player_version].filter(Boolean).join(' ') || '—'),
    h('td', { class: 'num', 'data-testid': 'session-event-count' }, formatNumber(session.event_count ?? 0)),
    h('td', { class: errors ? 'num bad wide-only' : 'num wide-only' }, formatNumber(errors),
      session.last_error_code ? h('span', { class: 'muted small' }, ` ${session.last_error_code}`) : null),
    h('td', { class: 'wide-only' }, time(session.started_at)),
    h('td', { 'data-testid': 'session-last-event' }, time(session.last_event_at)));
}

// Columns hidden on narrow screens carry the class wide-only.
const COLUMNS: [string, boolean][] = [
  ['Session', false], ['State', false], ['Project', true], ['Content', true], ['Player', true],
  ['Events', false], ['Errors', true], ['Started', true], ['Last event', false],
];

export const sessionsView: View = (root, context) => {
  context.setTitle('Sessions');
  let filters = filtersFromQuery(context.query);
  let sessions: StreamSession[] = [];
  let nextCursor: string | undefined;
  // Sessions pushed live are added at the top; the list keeps at most the rows loaded plus a
  // page, the oldest go. Once some went, "Load more" reads the list again from the start (the
  // cursor would skip them) and older live sessions are not added at the bottom.
  let loadedCount = 0;
  let trimmed = false;
  let abort: AbortController | null = null;
  const rows = new Map<string, HTMLElement>();
  // Per row, what its event_count already includes: the events received up to the last_event_at
  // of the snapshot it came from (a page or a session_updated frame; a batch's events share one
  // server_received_at, and session_updated is sent before the batch's event_appended frames),
  // and the highest ingest_sequence counted. event_appended frames at or below either are not
  // counted again.
  const counted = new Map<string, { snapshotAt: number; highest: number }>();
  const noteSnapshot = (session: StreamSession) => {
    const key = rowKey(session);
    const at = Date.parse(session.last_event_at ?? '');
    counted.set(key, { snapshotAt: Number.isNaN(at) ? -Infinity : at, highest: counted.get(key)?.highest ?? -Infinity });
  };

  const tbody = h('tbody');
  const summary = h('p', { class: 'muted', role: 'status', 'aria-live': 'polite' });
  const body = h('div');
  const more = h('button', { type: 'button', on: { click: () => void load(!trimmed) } }, 'Load more');

  const inputs = new Map<keyof SessionFilters, HTMLInputElement | HTMLSelectElement>();
  const stateSelect = h('select', { id: 'filter-state', name: 'state', 'data-testid': 'filter-state' },
    ['', 'active', 'stalled', 'ended'].map((state) => h('option', { value: state }, state || 'any'))) as HTMLSelectElement;
  stateSelect.value = filters.state ?? '';
  inputs.set('state', stateSelect);

  const field = (id: string, label: string, control: HTMLElement) =>
    h('div', { class: 'field' }, h('label', { for: id }, label), control);

  const textFields = TEXT_FILTERS.map(([key, label]) => {
    const input = h('input', { id: `filter-${key}`, name: key, type: key === 'q' ? 'search' : 'text', value: filters[key] ?? '', 'data-testid': `filter-${key}`, autocomplete: 'off' }) as HTMLInputElement;
    inputs.set(key, input);
    return field(`filter-${key}`, label, input);
  });
  const timeFields = (['from', 'until'] as const).map((key) => {
    const input = h('input', { id: `filter-${key}`, name: key, type: 'datetime-local', value: rfc3339ToLocalInput(filters[key] ?? '') }) as HTMLInputElement;
    inputs.set(key, input);
    return field(`filter-${key}`, key === 'from' ? 'Started from' : 'Started before', input);
  });

  const form = h('form', {
    class: 'filters',
    role: 'search',
    'aria-label': 'Session filters',
    on: {
      submit: (event) => {
        event.preventDefault();
        applyFilters();
      },
      change: (event) => {
        if (event.target === stateSelect) applyFilters();
      },
    },
  },
  textFields[0], field('filter-state', 'State', stateSelect), ...textFields.slice(1), ...timeFields,
  h('div', { class: 'field actions' },
    h('button', { type: 'submit', class: 'primary' }, 'Apply'),
    h('button', { type: 'button', on: { click: () => { for (const input of inputs.values()) input.value = ''; applyFilters(); } } }, 'Clear')));

  function applyFilters(): void {
    const next: SessionFilters = {};
    for (const [key, input] of inputs) {
      const value = key === 'from' || key === 'until' ? localInputToRfc3339(input.value) : input.value.trim();
      if (value) next[key] = value;
    }
    filters = next;
    const query = new URLSearchParams(filters as Record<string, string>).toString();
    context.navigate(`/sessions${query ? `?${query}` : ''}`, { replace: true, render: false });
    void load(false);
  }

  function renderTable(): void {
    if (sessions.length === 0) {
      replaceChildren(body, empty(Object.keys(filters).length ? 'No session matches these filters.' : 'No sessions yet. Start a player with the SDK, or open the demo.'));
    } else {
      replaceChildren(body, h('div', { class: 'table-wrap' },
        h('table', { 'data-testid': 'sessions-table' },
          h('caption', { class: 'visually-hidden' }, 'Sessions, newest first'),
          h('thead', null, h('tr', null, COLUMNS.map(([name, wideOnly]) => h('th', { scope: 'col', class: wideOnly ? 'wide-only' : undefined }, name)))),
          tbody)),
      nextCursor || trimmed ? more : null);
    }
    replaceChildren(summary, `${sessions.length} session${sessions.length === 1 ? '' : 's'} shown${nextCursor || trimmed ? ' (more available)' : ''}`);
  }

  function rebuildRows(): void {
    rows.clear();
    replaceChildren(tbody);
    for (const session of sessions) {
      if (!counted.has(rowKey(session))) noteSnapshot(session);
      const tr = sessionRow(session);
      rows.set(rowKey(session), tr);
      tbody.appendChild(tr);
    }
    renderTable();
  }

  async function load(append: boolean): Promise<void> {
    abort?.abort();
    const controller = new AbortController();
    abort = controller;
    if (!append) replaceChildren(body, loading('Loading sessions…'));
    try {
      const page = await context.api.listSessions(filters, append ? nextCursor : undefined, PAGE_SIZE, controller.signal);
      const incoming = page.sessions ?? [];
      const fresh = append ? incoming.filter((s) => !rows.has(rowKey(s))) : incoming;
      if (!append) counted.clear();
      for (const s of fresh) noteSnapshot(s);
      sessions = append ? sessions.concat(fresh) : incoming;
      nextCursor = page.next_cursor;
      loadedCount = sessions.length;
      trimmed = false;
      rebuildRows();
    } catch (error) {
      if (controller.signal.aborted) return;
      replaceChildren(body, errorBox(error));
    }
  }

  function upsert(session: StreamSession): void {
    if (!session || typeof session.session_id !== 'string') return;
    const key = rowKey(session);
    const index = sessions.findIndex((s) => rowKey(s) === key);
    const existing = rows.get(key);
    if (!matchesFilters(session, filters)) {
      if (existing && index >= 0) {
        existing.remove();
        rows.delete(key);
        sessions.splice(index, 1);
        renderTable();
      }
      return;
    }
    noteSnapshot(session);
    const tr = sessionRow(session);
    if (existing && index >= 0) {
      existing.replaceWith(tr);
      sessions[index] = session;
    } else {
      const started = Date.parse(session.started_at);
      let position = sessions.findIndex((s) => Date.parse(s.started_at) < started);
      if (position < 0) {
        // Older than everything shown: it belongs to a later page unless this is the last one.
        if (nextCursor || trimmed) return;
        position = sessions.length;
      }
      sessions.splice(position, 0, session);
      const before = position + 1 < sessions.length ? rows.get(rowKey(sessions[position + 1])) : undefined;
      tbody.insertBefore(tr, before ?? null);
    }
    rows.set(key, tr);
    trim();
    renderTable();
  }

  function trim(): void {
    const cap = loadedCount + PAGE_SIZE;
    while (sessions.length > cap) {
      const dropped = sessions.pop()!;
      const key = rowKey(dropped);
      rows.get(key)?.remove();
      rows.delete(key);
      counted.delete(key);
      trimmed = true;
    }
  }

  const unsubscribe = context.live.subscribe({
    sessionUpdated: upsert,
    eventAppended: (event) => {
      const key = rowKey(event);
      const session = sessions.find((s) => rowKey(s) === key);
      if (!session) return;
      const seen = counted.get(key) ?? { snapshotAt: -Infinity, highest: -Infinity };
      counted.set(key, seen);
      const sequence = Number(event.ingest_sequence);
      if (Number.isFinite(sequence)) {
        if (sequence <= seen.highest) return; // counted already (a frame seen twice)
        seen.highest = sequence;
      }
      const received = Date.parse(event.server_received_at ?? '');
      // Already in the snapshot's event_count (the batch a session_updated frame announced).
      if (!Number.isNaN(received) && received <= seen.snapshotAt) return;
      session.event_count = (session.event_count ?? 0) + 1;
      if (event.server_received_at) session.last_event_at = event.server_received_at;
      const row = rows.get(key);
      const count = row?.querySelector('[data-testid="session-event-count"]');
      if (count) count.textContent = formatNumber(session.event_count);
      const last = row?.querySelector('[data-testid="session-last-event"]');
      if (last) replaceChildren(last, time(session.last_event_at));
    },
    backfillTruncated: () => void load(false),
    reconnected: () => void load(false),
  });
  // Without the live stream, poll.
  const poll = setInterval(() => { if (context.live.state !== 'connected') void load(false); }, POLL_MS);

  root.append(
    h('div', { class: 'page-head' }, h('h1', null, 'Sessions'),
      h('button', { type: 'button', on: { click: () => void load(false) } }, 'Refresh')),
    form, summary, body);
  void load(false);

  return () => {
    abort?.abort();
    unsubscribe();
    clearInterval(poll);
  };
};
