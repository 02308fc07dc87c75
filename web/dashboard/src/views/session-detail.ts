// One session: summary tiles, QoE, charts, stalls, errors, boundaries, meta, ids, analyses and
// the timeline. Follows the live stream: new events of this session are fetched as they land.

import { ApiError, loadMoreEvents, loadSession, refreshTail, type LoadedSession } from '../api';
import type { LineChart } from '../chart';
import { button, keyValues, section, statePill, table, tile } from '../components';
import { debounce, type View } from '../context';
import { empty, errorBox, h, loading, replaceChildren } from '../dom';
import { formatBitrate, formatDateTime, formatDuration, formatNumber, formatPercent, formatTime } from '../format';
import {
  CATEGORIES, bitrateSeries, bufferSeries, categoryOf, eventTime, startupMs, stalls, summarize,
  type Category, type Series,
} from '../playback';
import type { PlaybackEvent, StreamSession } from '../types';

const PAGE_SIZE = 1000;
const MAX_PAGES = 10;
const POLL_MS = 5000;

function timelineItem(event: PlaybackEvent): HTMLElement {
  const category = categoryOf(event.event_name);
  const metaEntries = Object.entries(event.meta ?? {});
  const summary = summarize(event);
  const when = new Date(eventTime(event)).toISOString();
  return h('li', { class: `timeline-item cat-${category}`, 'data-testid': 'timeline-event', 'data-event-name': event.event_name, 'data-category': category },
    h('time', { datetime: when, title: `received ${event.server_received_at}` }, formatTime(when)),
    h('span', { class: `tag tag-${category}` }, category),
    h('span', { class: 'event-name' }, event.event_name),
    summary ? h('span', { class: 'event-summary' }, summary) : null,
    h('span', { class: 'muted small' }, `seq ${event.sequence_number ?? event.ingest_sequence}`),
    event.delivery_status && event.delivery_status !== 'accepted' ? h('span', { class: 'pill pill-warn' }, event.delivery_status.replace(/_/g, ' ')) : null,
    event.after_session_end ? h('span', { class: 'pill pill-warn', title: 'Received after the session had ended' }, 'after end') : null,
    event.time_skew_warning ? h('span', { class: 'pill pill-warn', 'data-testid': 'time-skew-indicator', title: 'The client clock differs from the server clock' }, 'clock skew') : null,
    metaEntries.length
      ? h('details', { class: 'meta' }, h('summary', null, `meta (${metaEntries.length})`), keyValues(metaEntries))
      : null);
}

function seriesSummary(series: Series, format: (value: number) => string): string {
  if (series.values.length === 0) return 'No samples yet.';
  const min = Math.min(...series.values);
  const max = Math.max(...series.values);
  const last = series.values[series.values.length - 1];
  return `${series.values.length} ${series.values.length === 1 ? 'point' : 'points'}; last ${format(last)}, min ${format(min)}, max ${format(max)}.`;
}

export const sessionDetailView: View = (root, context) => {
  const id = context.route.name === 'session' ? context.route.id : '';
  // Given by the links of the lists; an admin token cannot read the session without it.
  const projectId = context.query.get('project_id') || undefined;
  const ref = { id, projectId };
  context.setTitle(`Session ${id}`);
  let loaded: LoadedSession | null = null;
  // Reloads and live follow-ups share `abort`; "load more" has its own, so live frames do not
  // cancel it, and follow-ups wait while it runs (`followSkipped` asks for one afterwards).
  let abort: AbortController | null = null;
  let moreAbort: AbortController | null = null;
  let followSkipped = false;
  let closed = false;
  const hiddenCategories = new Set<Category>();
  const rendered = new Map<number, HTMLElement>();
  const charts: { bitrate?: LineChart; buffer?: LineChart } = {};

  const status = h('p', { class: 'muted small', role: 'status', 'aria-live': 'polite' });
  const headActions = h('div', { class: 'row' });
  const summaryArea = h('div');
  const bitrateBox = h('div', { class: 'chart', 'data-testid': 'chart-bitrate', 'aria-hidden': 'true' });
  const bufferBox = h('div', { class: 'chart', 'data-testid': 'chart-buffer', 'aria-hidden': 'true' });
  const bitrateText = h('p', { class: 'muted small' });
  const bufferText = h('p', { class: 'muted small' });
  const chartsArea = h('div', { class: 'grid-2' },
    section('Bitrate', bitrateBox, bitrateText),
    section('Buffer length', bufferBox, bufferText));
  const detailsArea = h('div');
  const timelineList = h('ol', { class: 'timeline', 'data-testid': 'timeline', 'aria-label': 'Event timeline' });
  const moreArea = h('div');
  const chips = CATEGORIES.map((category) => h('button', {
    type: 'button',
    class: `chip tag-${category}`,
    'aria-pressed': 'true',
    'data-category': category,
    on: { click: (event) => toggleCategory(category, event.currentTarget as HTMLElement) },
  }, category));
  const timelineSection = section('Timeline',
    h('div', { class: 'chips', role: 'group', 'aria-label': 'Show categories' }, chips),
    timelineList, moreArea);
  const content = h('div', { hidden: true }, summaryArea, chartsArea, detailsArea, timelineSection);
  const body = h('div', null, loading('Loading session…'));

  root.append(
    h('div', { class: 'page-head' },
      h('h1', null, 'Session ', h('span', { class: 'mono break', 'data-testid': 'session-id' }, id)),
      headActions),
    status, body, content);

  function toggleCategory(category: Category, chip: HTMLElement): void {
    if (hiddenCategories.has(category)) hiddenCategories.delete(category);
    else hiddenCategories.add(category);
    chip.setAttribute('aria-pressed', String(!hiddenCategories.has(category)));
    for (const item of rendered.values()) applyVisibility(item);
  }

  function applyVisibility(item: HTMLElement): void {
    item.hidden = hiddenCategories.has(item.dataset.category as Category);
  }

  function renderSummary(session: StreamSession, events: PlaybackEvent[]): void {
    const qoe = session.qoe;
    const stallList = stalls(events);
    const errorEvents = events.filter((event) => categoryOf(event.event_name) === 'error');
    const startup = startupMs(events, qoe?.startup_ms);
    const stallMs = stallList.reduce((sum, stall) => sum + (stall.durationMs ?? 0), 0);
    const dims = session.dimensions ?? {};

    replaceChildren(headActions,
      statePill(session.state),
      button('Refresh', () => void reload()),
      button('Delete', () => void remove(), { class: 'danger', 'data-testid': 'delete-session' }));

    replaceChildren(summaryArea,
      h('div', { class: 'tiles' },
        tile('Startup time', formatDuration(startup), { testid: 'startup-time' }),
        tile('Stalls', formatNumber(qoe?.rebuffer_count ?? stallList.length), { testid: 'stall-count', hint: `${formatDuration(qoe?.rebuffer_ms ?? stallMs)} stalled` }),
        tile('Rebuffer ratio', formatPercent(qoe?.rebuffer_ratio)),
        tile('Errors', formatNumber(session.error_count ?? errorEvents.length), { testid: 'error-count', hint: session.last_error_code || undefined }),
        tile('Bitrate', formatBitrate(qoe?.time_weighted_bitrate_bps ?? qoe?.average_bitrate_bps), { hint: qoe?.bitrate_switches !== undefined ? `${qoe.bitrate_switches} switches` : undefined }),
        tile('Events', formatNumber(session.event_count ?? events.length), { testid: 'event-count' }),
        qoe ? tile('Watch time', formatDuration(qoe.watch_ms)) : null,
        qoe?.dropped_frames !== undefined ? tile('Dropped frames', formatNumber(qoe.dropped_frames)) : null,
        typeof qoe?.live_latency_s === 'number' ? tile('Live latency', `${qoe.live_latency_s.toFixed(1)} s`) : null,
        qoe ? tile('Scores', [qoe.startup_score, qoe.smoothness_score, qoe.quality_score].map((score) => formatNumber(score)).join(' / '), { hint: 'startup / smoothness / quality' }) : null,
        qoe?.failed ? tile('Outcome', 'failed') : qoe?.exited_before_start ? tile('Outcome', 'exited before start') : null));

    const identity: [string, unknown][] = [
      ['Project', session.project_id],
      ['Started', formatDateTime(session.started_at)],
      ['Last event', formatDateTime(session.last_event_at)],
    ];
    if (session.ended_at) identity.push(['Ended', `${formatDateTime(session.ended_at)}${session.end_source ? ` (${session.end_source})` : ''}`]);
    identity.push(
      ['Correlation id', h('span', { class: 'mono break', 'data-testid': 'correlation-id' }, session.correlation_id || '—')],
      ['Trace id', h('span', { class: 'mono break', 'data-testid': 'trace-id' }, session.trace_id || '—')]);
    const sdk = events.find((event) => event.sdk?.name)?.sdk;
    if (sdk) identity.push(['SDK', `${sdk.name} ${sdk.version ?? ''}`.trim()]);
    if (session.sample_rate_ppm !== undefined && session.sample_rate_ppm < 1_000_000) {
      identity.push(['Sampled', `${(session.sample_rate_ppm / 10_000).toFixed(2)} % of player events are kept`]);
    }
    const dimensionEntries = Object.entries(dims).filter(([, value]) => value !== undefined && value !== '');

    const signals = session.network_signal_absent ?? [];
    const analyses = session.analyses ?? [];
    replaceChildren(detailsArea,
      h('div', { class: 'grid-2' },
        section('Identity', keyValues(identity, 'session-identity')),
        section('Meta', dimensionEntries.length ? keyValues(dimensionEntries, 'session-meta') : empty('No dimensions reported.'))),
      h('div', { class: 'grid-2' },
        section('Stalls', stallList.length
          ? table('Stalls', ['Started', 'Duration'], stallList.map((stall) => h('tr', null,
            h('td', null, formatTime(stall.startedAt)),
            h('td', null, stall.durationMs === undefined ? 'ongoing' : formatDuration(stall.durationMs)))))
          : empty('No stalls.')),
        section('Errors', errorEvents.length
          ? table('Errors', ['Time', 'Event', 'Details'], errorEvents.map((event) => h('tr', { 'data-testid': 'session-error' },
            h('td', null, formatTime(eventTime(event))),
            h('td', null, event.event_name),
            h('td', null, summarize(event) || '—'))))
          : empty('No errors.'))),
      signals.length ? section('Network signal boundaries',
        h('p', { class: 'muted small' }, 'The player could not observe these network signals; their absence is not a failure.'),
        table('Network signal boundaries', ['Kind', 'Adapter', 'Reason'], signals.map((signal) => h('tr', null,
          h('td', null, signal.kind), h('td', null, signal.adapter), h('td', null, signal.reason))))) : null,
      analyses.length ? section('Stream analyses', analyses.map((analysis) => h('div', { class: 'analysis' },
        h('p', null, h('strong', null, analysis.playlistType ?? 'analysis'), ' ', h('span', { class: 'mono break' }, analysis.input?.url ?? '')),
        (analysis.findings ?? []).length
          ? h('ul', null, (analysis.findings ?? []).map((finding) => h('li', null,
            h('span', { class: `pill pill-${finding.level === 'error' ? 'bad' : 'warn'}` }, finding.level ?? 'info'), ' ',
            h('span', { class: 'mono' }, finding.code ?? ''), ' ', finding.message ?? '')))
          : h('p', { class: 'muted' }, 'No findings.')))) : null);
  }

  async function renderCharts(events: PlaybackEvent[]): Promise<void> {
    const bitrate = bitrateSeries(events);
    const buffer = bufferSeries(events);
    replaceChildren(bitrateText, seriesSummary(bitrate, formatBitrate));
    replaceChildren(bufferText, seriesSummary(buffer, (value) => `${value.toFixed(1)} s`));
    try {
      if (!charts.bitrate) {
        const { lineChart } = await import('../chart');
        if (closed || charts.bitrate) return;
        charts.bitrate = lineChart(bitrateBox, 'Bitrate', '#2563eb', formatBitrate, true);
        charts.buffer = lineChart(bufferBox, 'Buffer', '#059669', (value) => `${value.toFixed(1)} s`);
      }
      charts.bitrate.update(bitrate);
      charts.buffer?.update(buffer);
    } catch (error) {
      // The figures above stay readable without the drawing (no canvas, chunk failed to load).
      replaceChildren(bitrateBox, errorBox(`Chart unavailable: ${error instanceof Error ? error.message : String(error)}`));
    }
  }

  function renderTimeline(events: PlaybackEvent[]): void {
    const keys = events.map((event) => event.ingest_sequence);
    const prefixMatches = [...rendered.keys()].every((key, index) => keys[index] === key);
    if (!prefixMatches) {
      rendered.clear();
      replaceChildren(timelineList);
    }
    for (const event of events.slice(rendered.size)) {
      const item = timelineItem(event);
      applyVisibility(item);
      rendered.set(event.ingest_sequence, item);
      timelineList.appendChild(item);
    }
    if (events.length === 0) replaceChildren(timelineList, h('li', { class: 'muted' }, 'No events.'));
    replaceChildren(moreArea, loaded?.nextCursor
      ? button('Load more events', () => void more(), { 'data-testid': 'load-more-events' })
      : null);
  }

  function show(next: LoadedSession): void {
    loaded = next;
    body.hidden = true;
    content.hidden = false;
    renderSummary(next.session, next.events);
    renderTimeline(next.events);
    void renderCharts(next.events);
    const live = next.session.state !== 'ended' ? 'Updates live while the session plays. ' : '';
    replaceChildren(status, `${live}${next.events.length} events loaded${next.nextCursor ? '; more available' : ''}.`);
  }

  async function run(task: (signal: AbortSignal) => Promise<LoadedSession>, kind: 'main' | 'more' = 'main'): Promise<void> {
    const controller = new AbortController();
    if (kind === 'more') {
      moreAbort?.abort();
      abort?.abort(); // a follow-up in flight would show the session without the new pages
      moreAbort = controller;
    } else {
      abort?.abort();
      abort = controller;
    }
    try {
      show(await task(controller.signal));
    } catch (error) {
      if (controller.signal.aborted || closed) return;
      if (error instanceof ApiError && error.status === 404) {
        content.hidden = true;
        body.hidden = false;
        replaceChildren(headActions);
        replaceChildren(body, empty('This session does not exist, or it was deleted.'));
        return;
      }
      if (loaded) replaceChildren(status, h('span', { class: 'bad', role: 'alert' }, error instanceof Error ? error.message : String(error)));
      else replaceChildren(body, errorBox(error));
    } finally {
      if (kind === 'more' && moreAbort === controller) {
        moreAbort = null;
        if (followSkipped && !closed) {
          followSkipped = false;
          follow();
        }
      }
    }
  }

  const reload = () => {
    moreAbort?.abort();
    moreAbort = null;
    return run((signal) => loadSession(context.api, ref, PAGE_SIZE, MAX_PAGES, signal));
  };
  const more = () => run((signal) => loadMoreEvents(context.api, ref, loaded!, PAGE_SIZE, MAX_PAGES, signal), 'more');
  // New events go to the end: re-read only the last page, unless older pages are still unread.
  const follow = debounce(() => {
    if (!loaded) return;
    if (moreAbort) {
      followSkipped = true;
      return;
    }
    if (loaded.nextCursor) void run(async (signal) => ({ ...loaded!, session: (await context.api.getSession(id, 1, undefined, signal, projectId)).session }));
    else void run((signal) => refreshTail(context.api, ref, loaded!, PAGE_SIZE, MAX_PAGES, signal));
  }, 400);

  async function remove(): Promise<void> {
    if (!confirm(`Delete session ${id} and all its events? This cannot be undone.`)) return;
    try {
      await context.api.deleteSession(id, projectId);
      context.navigate('/sessions');
    } catch (error) {
      replaceChildren(status, h('span', { class: 'bad', role: 'alert' }, error instanceof Error ? error.message : String(error)));
    }
  }

  const unsubscribe = context.live.subscribe({
    eventAppended: (event) => { if (event.session_id === id && (!projectId || event.project_id === projectId)) follow(); },
    sessionUpdated: (session) => {
      if (session.session_id !== id || !loaded || session.project_id !== loaded.session.project_id) return;
      loaded = { ...loaded, session: { ...loaded.session, ...session } };
      renderSummary(loaded.session, loaded.events);
    },
    backfillTruncated: () => follow(),
    reconnected: () => follow(),
  });
  // Without the live stream, poll while the session may still change.
  const poll = setInterval(() => {
    if (context.live.state !== 'connected' && loaded && loaded.session.state !== 'ended') follow();
  }, POLL_MS);

  void reload();

  return () => {
    closed = true;
    abort?.abort();
    moreAbort?.abort();
    follow.cancel();
    unsubscribe();
    clearInterval(poll);
    charts.bitrate?.destroy();
    charts.buffer?.destroy();
  };
};
