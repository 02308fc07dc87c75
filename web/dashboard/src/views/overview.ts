// Overview: sessions by state, events/s, errors, and a startup and rebuffer summary.

import { keyValues, section, sessionLink, statePill, table, tile, time } from '../components';
import { debounce, type View } from '../context';
import { empty, errorBox, h, loading, replaceChildren } from '../dom';
import { formatDuration, formatNumber, formatPercent } from '../format';
import type { Overview, StreamSession } from '../types';

const REFRESH_MS = 10_000;
const DAY_MS = 24 * 3600 * 1000;

export interface QoeSummary {
  sessions: number;
  medianStartupMs?: number;
  meanRebufferRatio?: number;
  withStalls: number;
  failed: number;
  exitedBeforeStart: number;
}

// Startup and rebuffer figures over the sessions that carry server-side QoE.
export function summarizeQoe(sessions: StreamSession[]): QoeSummary {
  const withQoe = sessions.filter((session) => session.qoe);
  // Rebuffering only means something for sessions that showed a first frame.
  const started = withQoe.filter((s) => s.qoe!.started !== false);
  const startups = withQoe.map((s) => s.qoe!.startup_ms).filter((v): v is number => typeof v === 'number').sort((a, b) => a - b);
  const ratios = started.map((s) => s.qoe!.rebuffer_ratio).filter((v): v is number => typeof v === 'number');
  const middle = Math.floor(startups.length / 2);
  return {
    sessions: withQoe.length,
    medianStartupMs: startups.length === 0 ? undefined : startups.length % 2 ? startups[middle] : (startups[middle - 1] + startups[middle]) / 2,
    meanRebufferRatio: ratios.length ? ratios.reduce((a, b) => a + b, 0) / ratios.length : undefined,
    withStalls: started.filter((s) => (s.qoe!.rebuffer_count ?? 0) > 0).length,
    failed: withQoe.filter((s) => s.qoe!.failed).length,
    exitedBeforeStart: withQoe.filter((s) => s.qoe!.exited_before_start).length,
  };
}

// The numeric leaves of the /api/qoe answer (two levels deep) as labelled values.
export function numericLeaves(value: unknown, prefix = '', depth = 0): [string, number][] {
  if (typeof value === 'number' && Number.isFinite(value)) return [[prefix, value]];
  if (typeof value !== 'object' || value === null || Array.isArray(value) || depth > 1) return [];
  return Object.entries(value).flatMap(([key, child]) =>
    numericLeaves(child, prefix ? `${prefix} ${key.replace(/_/g, ' ')}` : key.replace(/_/g, ' '), depth + 1));
}

export const overviewView: View = (root, context) => {
  context.setTitle('Overview');
  let abort: AbortController | null = null;
  const tilesArea = h('div', null, loading('Loading overview…'));
  const qoeArea = h('div');
  const recentArea = h('div');

  function renderTiles(overview: Overview): void {
    const sessions = overview.sessions ?? {};
    replaceChildren(tilesArea, h('div', { class: 'tiles', 'data-testid': 'overview-tiles' },
      tile('Active sessions', formatNumber(sessions.active), { testid: 'overview-active' }),
      tile('Stalled sessions', formatNumber(sessions.stalled), { testid: 'overview-stalled' }),
      tile('Ended sessions', formatNumber(sessions.ended), { testid: 'overview-ended' }),
      tile('Events per second', formatNumber(overview.events_per_second, 1), { testid: 'overview-eps' }),
      tile('Errors, last hour', `${formatNumber(overview.errors_last_hour)}${overview.errors_last_hour_capped ? '+' : ''}`, { testid: 'overview-errors' })));
  }

  function renderQoe(recent: StreamSession[], server: Record<string, unknown> | null): void {
    const summary = summarizeQoe(recent);
    const serverFigures = server ? numericLeaves(server).slice(0, 16) : [];
    replaceChildren(qoeArea, section('Startup and rebuffering',
      summary.sessions === 0
        ? empty('No QoE figures yet: they appear once sessions report playback.')
        : [h('p', { class: 'muted small' }, `Over the ${summary.sessions} most recent sessions with QoE.`),
          h('div', { class: 'tiles' },
            tile('Median startup', formatDuration(summary.medianStartupMs), { testid: 'overview-startup' }),
            tile('Mean rebuffer ratio', formatPercent(summary.meanRebufferRatio), { testid: 'overview-rebuffer' }),
            tile('Sessions with stalls', formatNumber(summary.withStalls)),
            tile('Failed', formatNumber(summary.failed)),
            tile('Exited before start', formatNumber(summary.exitedBeforeStart)))],
      serverFigures.length ? [h('h3', null, 'Last 24 hours (server aggregate)'), keyValues(serverFigures.map(([key, value]) => [key, formatNumber(value, 2)]), 'overview-qoe-aggregate')] : null));
  }

  function renderRecent(recent: StreamSession[]): void {
    replaceChildren(recentArea, section('Recent sessions', recent.length === 0
      ? empty('No sessions yet. Open the demo page to record one.')
      : table('Recent sessions', ['Session', 'State', ['Content', true], 'Events', 'Last event'], recent.slice(0, 8).map((session) => h('tr', null,
        h('td', null, sessionLink(session.session_id, undefined, session.project_id)),
        h('td', null, statePill(session.state)),
        h('td', { class: 'wide-only' }, session.dimensions?.content_title || session.dimensions?.content_id || '—'),
        h('td', { class: 'num' }, formatNumber(session.event_count)),
        h('td', null, time(session.last_event_at)))))));
  }

  async function load(): Promise<void> {
    abort?.abort();
    const controller = new AbortController();
    abort = controller;
    const until = new Date();
    const from = new Date(until.getTime() - DAY_MS);
    const [overview, sessions, qoe] = await Promise.allSettled([
      context.api.overview(controller.signal),
      context.api.listSessions({}, undefined, 100, controller.signal),
      context.api.qoe(from.toISOString(), until.toISOString(), '1h', controller.signal),
    ]);
    if (controller.signal.aborted) return;
    if (overview.status === 'fulfilled') renderTiles(overview.value);
    else replaceChildren(tilesArea, errorBox(overview.reason));
    if (sessions.status === 'fulfilled') {
      renderQoe(sessions.value.sessions ?? [], qoe.status === 'fulfilled' ? qoe.value : null);
      renderRecent(sessions.value.sessions ?? []);
    } else {
      replaceChildren(recentArea, errorBox(sessions.reason));
    }
  }

  const refresh = debounce(() => void load(), 1000);
  const unsubscribe = context.live.subscribe({ sessionUpdated: refresh, reconnected: refresh });
  const timer = setInterval(() => void load(), REFRESH_MS);

  root.append(
    h('div', { class: 'page-head' }, h('h1', null, 'Overview'),
      h('button', { type: 'button', on: { click: () => void load() } }, 'Refresh')),
    tilesArea, qoeArea, recentArea);
  void load();

  return () => {
    abort?.abort();
    refresh.cancel();
    unsubscribe();
    clearInterval(timer);
  };
};
