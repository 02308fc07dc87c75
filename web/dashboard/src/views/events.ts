// Events and errors across the project's sessions, filtered and paged by the server
// (GET /api/events), newest first.

import { sessionLink, time } from '../components';
import type { View } from '../context';
import { empty, errorBox, h, loading, replaceChildren } from '../dom';
import { formatValue, localInputToRfc3339, rfc3339ToLocalInput } from '../format';
import { categoryOf, summarize } from '../playback';
import type { EventFilters, PlaybackEvent } from '../types';

const KNOWN_EVENTS = [
  'play_requested', 'playback_started', 'startup_time_measured', 'manifest_loaded', 'segment_loaded',
  'bitrate_switch', 'rebuffer_started', 'rebuffer_ended', 'seek_started', 'seek_ended', 'paused',
  'resumed', 'playback_error', 'metrics_sampled', 'session_ended',
];

function eventRow(event: PlaybackEvent, errors: boolean): HTMLElement {
  const meta = event.meta ?? {};
  const cells = [
    h('td', null, time(event.server_received_at)),
    h('td', null, h('span', { class: `tag tag-${categoryOf(event.event_name)}` }, categoryOf(event.event_name)), ' ', h('span', { class: 'event-name' }, event.event_name)),
    h('td', null, sessionLink(event.session_id, undefined, event.project_id)),
  ];
  if (errors) {
    cells.push(
      h('td', { class: 'mono' }, formatValue(meta.error_code)),
      h('td', { class: 'wide-only' }, [meta.error_type, meta.error_details].filter((part) => part !== undefined).map(formatValue).join(' · ') || '—'),
      h('td', { class: 'wide-only' }, meta.fatal === true ? h('span', { class: 'pill pill-bad' }, 'fatal') : meta.fatal === false ? 'no' : '—'));
  } else {
    cells.push(h('td', { class: 'wide-only' }, summarize(event) || '—'));
  }
  return h('tr', { 'data-testid': errors ? 'error-row' : 'event-row', 'data-event-name': event.event_name, 'data-session-id': event.session_id }, cells);
}

export function eventsView(root: HTMLElement, context: Parameters<View>[1], mode: 'events' | 'errors'): () => void {
  const errors = mode === 'errors';
  const title = errors ? 'Errors' : 'Events';
  context.setTitle(title);
  const filters: EventFilters = {
    event_name: context.query.get('event_name') ?? undefined,
    from: context.query.get('from') ?? undefined,
    until: context.query.get('until') ?? undefined,
    errors_only: errors || undefined,
  };
  let events: PlaybackEvent[] = [];
  let nextCursor: string | undefined;
  let abort: AbortController | null = null;

  const body = h('div');
  const summary = h('p', { class: 'muted', role: 'status', 'aria-live': 'polite' });
  const nameInput = h('input', { id: 'filter-event-name', name: 'event_name', list: 'event-names', value: filters.event_name ?? '', autocomplete: 'off', 'data-testid': 'filter-event-name' }) as HTMLInputElement;
  const fromInput = h('input', { id: 'filter-from', name: 'from', type: 'datetime-local', value: rfc3339ToLocalInput(filters.from ?? '') }) as HTMLInputElement;
  const untilInput = h('input', { id: 'filter-until', name: 'until', type: 'datetime-local', value: rfc3339ToLocalInput(filters.until ?? '') }) as HTMLInputElement;

  const form = h('form', {
    class: 'filters',
    role: 'search',
    'aria-label': `${title} filters`,
    on: { submit: (event) => { event.preventDefault(); apply(); } },
  },
  h('div', { class: 'field' }, h('label', { for: 'filter-event-name' }, 'Event name'), nameInput,
    h('datalist', { id: 'event-names' }, (errors ? ['playback_error'] : KNOWN_EVENTS).map((name) => h('option', { value: name })))),
  h('div', { class: 'field' }, h('label', { for: 'filter-from' }, 'From'), fromInput),
  h('div', { class: 'field' }, h('label', { for: 'filter-until' }, 'Until'), untilInput),
  h('div', { class: 'field actions' },
    h('button', { type: 'submit', class: 'primary' }, 'Apply'),
    h('button', { type: 'button', on: { click: () => { nameInput.value = ''; fromInput.value = ''; untilInput.value = ''; apply(); } } }, 'Clear')));

  function apply(): void {
    filters.event_name = nameInput.value.trim() || undefined;
    filters.from = localInputToRfc3339(fromInput.value) || undefined;
    filters.until = localInputToRfc3339(untilInput.value) || undefined;
    const query = new URLSearchParams();
    for (const key of ['event_name', 'from', 'until'] as const) if (filters[key]) query.set(key, filters[key]!);
    const text = query.toString();
    context.navigate(`/${mode}${text ? `?${text}` : ''}`, { replace: true, render: false });
    void load(false);
  }

  function render(): void {
    // Columns after the fourth (errors) or third (events) are hidden on narrow screens.
    const headers = errors ? ['Received', 'Event', 'Session', 'Code', 'Type · details', 'Fatal'] : ['Received', 'Event', 'Session', 'Details'];
    const narrowColumns = errors ? 4 : 3;
    replaceChildren(summary, `${events.length} ${errors ? 'errors' : 'events'} shown${nextCursor ? ' (more available)' : ''}`);
    if (events.length === 0) {
      replaceChildren(body, empty(errors ? 'No playback errors found.' : 'No events found.'));
      return;
    }
    replaceChildren(body,
      h('div', { class: 'table-wrap' }, h('table', { 'data-testid': `${mode}-table` },
        h('caption', { class: 'visually-hidden' }, `${title}, newest first`),
        h('thead', null, h('tr', null, headers.map((name, index) => h('th', { scope: 'col', class: index >= narrowColumns ? 'wide-only' : undefined }, name)))),
        h('tbody', null, events.map((event) => eventRow(event, errors))))),
      nextCursor ? h('button', { type: 'button', 'data-testid': 'load-more', on: { click: () => void load(true) } }, 'Load more') : null);
  }

  async function load(append: boolean): Promise<void> {
    abort?.abort();
    const controller = new AbortController();
    abort = controller;
    if (!append) replaceChildren(body, loading(`Loading ${mode}…`));
    try {
      const page = await context.api.listEvents(filters, append ? nextCursor : undefined, 100, controller.signal);
      events = append ? events.concat(page.events ?? []) : page.events ?? [];
      nextCursor = page.next_cursor;
      render();
    } catch (error) {
      if (!controller.signal.aborted) replaceChildren(body, errorBox(error));
    }
  }

  root.append(
    h('div', { class: 'page-head' }, h('h1', null, title),
      h('button', { type: 'button', on: { click: () => void load(false) } }, 'Refresh')),
    form, summary, body);
  void load(false);
  return () => abort?.abort();
}
