// Status: health, store, version, lab stream and the live stream of this browser.

import { button, keyValues, section } from '../components';
import type { View } from '../context';
import { errorBox, h, loading, replaceChildren } from '../dom';
import { formatDateTime, formatDuration } from '../format';
import type { Status } from '../types';

const REFRESH_MS = 5000;

function okPill(ok: boolean | undefined, yes = 'ok', no = 'failing'): HTMLElement {
  if (ok === undefined) return h('span', { class: 'pill pill-unknown' }, 'unknown');
  return h('span', { class: `pill ${ok ? 'pill-active' : 'pill-bad'}` }, ok ? yes : no);
}

export const statusView: View = (root, context) => {
  context.setTitle('Status');
  const healthArea = h('div', null, loading('Checking health…'));
  const serverArea = h('div');
  const liveArea = h('div');

  function renderLive(): void {
    const live = context.live;
    replaceChildren(liveArea, section('Live stream (this browser)', keyValues([
      ['State', h('span', { 'data-testid': 'live-state' }, live.state)],
      ['Since', formatDateTime(live.stateChangedAt)],
      ['Last event id', live.lastEventId ?? '—'],
      ['Last problem', live.lastError || '—'],
    ])));
  }

  async function load(): Promise<void> {
    const [health, status] = await Promise.allSettled([context.api.health(), context.api.status()]);
    if (health.status === 'fulfilled') {
      const value = health.value;
      replaceChildren(healthArea, section('Health', keyValues([
        ['API', h('span', { 'data-testid': 'health-state' }, okPill(value.ok, 'up', 'down'))],
        ['HTTP status', value.status === 0 ? 'unreachable' : String(value.status)],
        ['Answer', value.body.slice(0, 200) || '—'],
      ])));
    }
    if (status.status === 'fulfilled') renderStatus(status.value);
    else replaceChildren(serverArea, section('Server', errorBox(status.reason)));
    renderLive();
  }

  function renderStatus(status: Status): void {
    const entries: [string, unknown][] = [
      ['Status', status.status],
      ['Version', h('span', { 'data-testid': 'server-version' }, status.version ?? context.config.version ?? '—')],
      ['Uptime', status.uptime_s === undefined ? '—' : formatDuration(status.uptime_s * 1000)],
      ['Store', h('span', null, `${status.store?.kind ?? 'unknown'} `, okPill(status.store?.ok))],
      ['Live subscribers', status.live?.subscribers],
    ];
    if (status.lab) {
      entries.push(
        ['Lab stream (FFmpeg)', status.lab.ffmpeg],
        ['Lab restarts', status.lab.restarts],
        ['Lab last error', status.lab.last_error || '—']);
    }
    replaceChildren(serverArea, section('Server', keyValues(entries, 'server-status')));
  }

  const unsubscribe = context.live.onState(renderLive);
  const timer = setInterval(() => void load(), REFRESH_MS);
  root.append(
    h('div', { class: 'page-head' }, h('h1', null, 'Status'), button('Refresh', () => void load())),
    h('div', { class: 'grid-2' }, healthArea, serverArea), liveArea);
  renderLive();
  void load();

  return () => {
    unsubscribe();
    clearInterval(timer);
  };
};
