// Overview: sessions by state, events/s, errors, and a startup and rebuffer summary.

import { keyValues, section, sessionLink, statePill, table, tile, time } from '../components';
import { debounce, type View } from '../context';
import { empty, errorBox, h, loading, replaceChildren, type Child } from '../dom';
import { formatDuration, formatNumber, formatPercent, formatTime } from '../format';
import type { Overview, QoeReport, StreamSession } from '../types';

const REFRESH_MS = 10_000;
const DAY_MS = 24 * 3600 * 1000;
const QOE_BUCKET_S = 3600; // the server takes whole seconds

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
  // Time-weighted, as the server's aggregate: total rebuffering over total watch time (a mean of
  // per-session ratios would weigh a 2-second session like a 2-hour one).
  const nonNegative = (v: number | undefined) => (typeof v === 'number' && v > 0 ? v : 0);
  const watchMs = started.reduce((sum, s) => sum + nonNegative(s.qoe!.watch_ms), 0);
  const rebufferMs = started.reduce((sum, s) => sum + nonNegative(s.qoe!.rebuffer_ms), 0);
  const middle = Math.floor(startups.length / 2);
  return {
    sessions: withQoe.length,
    medianStartupMs: startups.length === 0 ? undefined : startups.length % 2 ? startups[middle] : (startups[middle - 1] + startups[middle]) / 2,
    meanRebufferRatio: watchMs > 0 ? rebufferMs / watchMs : undefined,
    withStalls: started.filter((s) => (s.qoe!.rebuffer_count ?? 0) > 0).length,
    failed: withQoe.filter((s) => s.qoe!.failed).length,
    // A session that failed before its first frame counts as failed, not as exited.
    exitedBeforeStart: withQoe.filter((s) => s.qoe!.exited_before_start && !s.qoe!.failed_before_start).length,
  };
}

// Totals of an /api/qoe report over all its buckets. Percentiles do not add up, so startup is
// given per bucket only; the rates are rebuilt from each bucket's counts.
export interface QoeReportTotals {
  sessions: number;
  started: number;
  watchMs: number;
  rebufferMs: number;
  rebufferRatio?: number;
  failureRate?: number;
  exitBeforeStartRate?: number;
}

export function qoeReportTotals(report: QoeReport): QoeReportTotals {
  let sessions = 0;
  let started = 0;
  let watchMs = 0;
  let rebufferMs = 0;
  let failed = 0;
  let exited = 0;
  for (const bucket of report.buckets ?? []) {
    const n = bucket.sessions ?? 0;
    sessions += n;
    started += bucket.started ?? 0;
    watchMs += bucket.watch_ms ?? 0;
    rebufferMs += bucket.rebuffer_ms ?? 0;
    failed += Math.round((bucket.failure_rate ?? 0) * n);
    exited += Math.round((bucket.exit_before_start_rate ?? 0) * n);
  }
  return {
    sessions,
    started,
    watchMs,
    rebufferMs,
    rebufferRatio: watchMs > 0 ? rebufferMs / watchMs : undefined,
    failureRate: sessions > 0 ? failed / sessions : undefined,
    exitBeforeStartRate: sessions > 0 ? exited / sessions : undefined,
  };
}

function renderServerQoe(report: QoeReport): Child[] {
  const totals = qoeReportTotals(report);
  const buckets = (report.buckets ?? []).filter((bucket) => (bucket.sessions ?? 0) > 0);
  const span = report.bucket_s ?? 3600;
  return [
    h('h3', null, 'Last 24 hours (server aggregate)'),
    report.truncated ? h('p', { class: 'muted small' }, 'More sessions than the server reads at once: the figures cover the first ones.') : null,
    keyValues([
      ['Sessions', formatNumber(totals.sessions)],
      ['Started', formatNumber(totals.started)],
      ['Watch time', formatDuration(totals.watchMs)],
      ['Rebuffer ratio', formatPercent(totals.rebufferRatio)],
      ['Failure rate', formatPercent(totals.failureRate)],
      ['Exited before start', formatPercent(totals.exitBeforeStartRate)],
    ], 'overview-qoe-aggregate'),
    buckets.length
      ? table(`Sessions per ${span % 3600 === 0 ? `${span / 3600} h` : `${span} s`}`,
        ['Started from', 'Sessions', 'Startup p50', 'Startup p95', 'Rebuffer ratio', 'Failure rate'],
        buckets.map((bucket) => h('tr', { 'data-testid': 'overview-qoe-bucket' },
          h('td', null, formatTime(bucket.start)),
          h('td', { class: 'num' }, formatNumber(bucket.sessions)),
          h('td', { class: 'num' }, formatDuration(bucket.startup_ms?.p50)),
          h('td', { class: 'num' }, formatDuration(bucket.startup_ms?.p95)),
          h('td', { class: 'num' }, formatPercent(bucket.rebuffer_ratio)),
          h('td', { class: 'num' }, formatPercent(bucket.failure_rate)))))
      : empty('No session started in the last 24 hours.'),
  ];
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

  // `server`: the report, null when the server has no /api/qoe, or the error it answered.
  function renderQoe(recent: StreamSession[], server: QoeReport | null | { error: unknown }): void {
    const summary = summarizeQoe(recent);
    let serverPart: Child = null;
    if (server && 'error' in server) {
      const reason = server.error instanceof Error ? server.error.message : String(server.error);
      serverPart = h('p', { class: 'bad small', role: 'alert', 'data-testid': 'overview-qoe-error' }, `Server QoE aggregate unavailable: ${reason}`);
    } else if (server) {
      serverPart = renderServerQoe(server);
    }
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
      serverPart));
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
      context.api.qoe(from.toISOString(), until.toISOString(), QOE_BUCKET_S, controller.signal),
    ]);
    if (controller.signal.aborted) return;
    if (overview.status === 'fulfilled') renderTiles(overview.value);
    else replaceChildren(tilesArea, errorBox(overview.reason));
    if (sessions.status === 'fulfilled') {
      renderQoe(sessions.value.sessions ?? [], qoe.status === 'fulfilled' ? qoe.value : { error: qoe.reason });
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
