// Demo: hls.js and dash.js play the lab stream with the player SDK attached (loaded at run time
// from /sdk/mtrace.iife.js, the global MTrace of docs/decisions.md). `?autostart=1` starts both,
// muted, without a click. The players themselves are loaded only on this page.

import type { View } from '../context';
import { h, replaceChildren } from '../dom';
import { sessionPath } from '../router';

const SDK_URL = '/sdk/mtrace.iife.js';

interface Tracker {
  readonly sessionId: string;
  destroy(): Promise<void>;
}

interface Attachment {
  detach(): void;
}

interface MTraceGlobal {
  createTracker(options: {
    endpoint: string;
    token: string;
    projectId: string;
    meta: Record<string, string>;
    flushIntervalMs?: number;
  }): Tracker;
  attachHlsJs(tracker: Tracker, hls: unknown, video: HTMLVideoElement): Attachment;
  attachDashJs(tracker: Tracker, player: unknown, video: HTMLVideoElement): Attachment;
}

let sdkLoading: Promise<MTraceGlobal> | null = null;

function loadSdk(): Promise<MTraceGlobal> {
  const existing = (window as unknown as { MTrace?: MTraceGlobal }).MTrace;
  if (existing) return Promise.resolve(existing);
  sdkLoading ??= new Promise<MTraceGlobal>((resolve, reject) => {
    const script = h('script', { src: SDK_URL, async: true }) as HTMLScriptElement;
    script.addEventListener('load', () => {
      const loaded = (window as unknown as { MTrace?: MTraceGlobal }).MTrace;
      if (loaded) resolve(loaded);
      else reject(new Error(`${SDK_URL} loaded but defined no MTrace global`));
    });
    script.addEventListener('error', () => {
      sdkLoading = null;
      script.remove();
      reject(new Error(`the player SDK could not be loaded from ${SDK_URL}`));
    });
    document.head.appendChild(script);
  });
  return sdkLoading;
}

type PlayerKind = 'hls' | 'dash';

interface Running {
  tracker: Tracker;
  attachment: Attachment;
  teardown(): void;
}

interface PanelOptions {
  kind: PlayerKind;
  title: string;
  streamUrl: string;
  token: () => string;
}

function playerPanel(options: PanelOptions) {
  const { kind } = options;
  let running: Running | null = null;
  let busy = false;
  // Set when the page is left: a start still in progress tears down what it attaches.
  let disposed = false;

  const video = h('video', {
    controls: true, muted: true, playsinline: true, preload: 'none',
    'data-testid': `demo-${kind}-video`, 'aria-label': `${options.title} player`,
  }) as HTMLVideoElement;
  video.muted = true;
  const urlInput = h('input', { id: `demo-${kind}-url`, type: 'url', value: options.streamUrl, 'data-testid': `demo-${kind}-url` }) as HTMLInputElement;
  const statusText = h('p', { class: 'muted small', role: 'status', 'aria-live': 'polite', 'data-testid': `demo-${kind}-status` }, 'idle');
  const linkArea = h('p');
  const startButton = h('button', { type: 'button', class: 'primary', 'data-testid': `demo-${kind}-start`, on: { click: () => void start() } }, 'Start');
  const stopButton = h('button', { type: 'button', 'data-testid': `demo-${kind}-stop`, disabled: true, on: { click: () => void stop() } }, 'Stop');

  const setStatus = (text: string, problem = false) => {
    replaceChildren(statusText, text);
    statusText.className = problem ? 'small bad' : 'muted small';
  };

  async function attach(sdk: MTraceGlobal, url: string): Promise<Running> {
    const meta = (playerName: string, playerVersion: string) => ({
      content_id: 'lab-stream',
      content_title: 'Lab test stream',
      player_name: playerName,
      player_version: playerVersion,
    });
    const trackerOptions = (playerName: string, playerVersion: string) => ({
      endpoint: '/api/playback-events',
      token: options.token(),
      projectId: 'demo',
      meta: meta(playerName, playerVersion),
      flushIntervalMs: 2000, // the session page shows the playback within seconds
    });
    if (kind === 'hls') {
      const { default: Hls } = await import('hls.js');
      if (!Hls.isSupported()) throw new Error('hls.js is not supported in this browser (no Media Source Extensions)');
      const tracker = sdk.createTracker(trackerOptions('hls.js', Hls.version));
      const hls = new Hls();
      const attachment = sdk.attachHlsJs(tracker, hls, video);
      hls.loadSource(url);
      hls.attachMedia(video);
      return { tracker, attachment, teardown: () => hls.destroy() };
    }
    const dashjs = await import('dashjs');
    const player = dashjs.MediaPlayer().create();
    const tracker = sdk.createTracker(trackerOptions('dash.js', player.getVersion()));
    const attachment = sdk.attachDashJs(tracker, player, video);
    // dash.js starts playback itself: a video.play() of ours would fire the element's `play`
    // event before dash.js listens to it, and dash.js, never seeing playback start, would never
    // refresh the live MPD (the video stops after its first segments).
    player.on('playbackNotAllowed', () => setStatus('press play to start (autoplay was blocked)'));
    player.initialize(video, url, true);
    return { tracker, attachment, teardown: () => player.reset() };
  }

  async function start(): Promise<void> {
    if (running || busy) return;
    if (!urlInput.value.trim()) {
      setStatus('enter a stream URL first', true);
      return;
    }
    busy = true;
    startButton.setAttribute('disabled', '');
    setStatus('starting…');
    try {
      const sdk = await loadSdk();
      if (disposed) return;
      // Absolute, so players that resolve against the stream URL (dash.js CMCD) have a base.
      const attached = await attach(sdk, new URL(urlInput.value.trim(), location.href).href);
      if (disposed) {
        attached.attachment.detach();
        attached.teardown();
        await attached.tracker.destroy().catch(() => {});
        return;
      }
      running = attached;
      const id = running.tracker.sessionId;
      replaceChildren(linkArea, 'Recording session ',
        h('a', { href: sessionPath(id), class: 'mono break', 'data-testid': `demo-${kind}-session-link` }, id));
      stopButton.removeAttribute('disabled');
      setStatus('playing');
      video.muted = true;
      if (kind === 'hls') await video.play().catch((error: unknown) => {
        setStatus(`press play to start (${error instanceof Error ? error.message : String(error)})`);
      });
    } catch (error) {
      setStatus(error instanceof Error ? error.message : String(error), true);
      startButton.removeAttribute('disabled');
    } finally {
      busy = false;
    }
  }

  async function stop(): Promise<void> {
    const current = running;
    if (!current) return;
    running = null;
    stopButton.setAttribute('disabled', '');
    current.attachment.detach();
    current.teardown();
    video.removeAttribute('src');
    video.load();
    try {
      await current.tracker.destroy();
      setStatus('stopped; the session was ended');
    } catch (error) {
      setStatus(`stopped; the last events may be lost (${error instanceof Error ? error.message : String(error)})`, true);
    }
    startButton.removeAttribute('disabled');
  }

  const element = h('section', { class: 'panel demo-player', 'aria-label': options.title },
    h('h2', null, options.title),
    video,
    h('div', { class: 'field' }, h('label', { for: `demo-${kind}-url` }, 'Stream URL'), urlInput),
    h('div', { class: 'row' }, startButton, stopButton),
    statusText, linkArea);

  function dispose(): Promise<void> {
    disposed = true;
    return stop();
  }

  return { element, start, stop, dispose };
}

export const demoView: View = (root, context) => {
  context.setTitle('Demo');
  const streams = context.config.lab_streams ?? {};
  const tokenInput = h('input', { id: 'demo-token', type: 'text', value: context.config.demo_token ?? '', autocomplete: 'off' }) as HTMLInputElement;
  const token = () => tokenInput.value.trim();
  const hls = playerPanel({ kind: 'hls', title: 'HLS · hls.js', streamUrl: streams.hls ?? '', token });
  const dash = playerPanel({ kind: 'dash', title: 'DASH · dash.js', streamUrl: streams.dash ?? '', token });

  root.append(
    h('div', { class: 'page-head' }, h('h1', null, 'Demo players'),
      h('button', { type: 'button', class: 'primary', 'data-testid': 'demo-start-all', on: { click: () => { void hls.start(); void dash.start(); } } }, 'Start both')),
    h('p', { class: 'muted' }, context.config.lab
      ? 'Both players play the lab stream with the m-trace SDK attached. Open the session link to watch it being recorded.'
      : 'Not running in the lab: enter an ingest token and stream URLs.'),
    h('div', { class: 'field narrow' }, h('label', { for: 'demo-token' }, 'Ingest token'), tokenInput),
    h('div', { class: 'grid-2' }, hls.element, dash.element));

  if (context.query.get('autostart') === '1') {
    void hls.start();
    void dash.start();
  }

  return () => {
    void hls.dispose();
    void dash.dispose();
  };
};
