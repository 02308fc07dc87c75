// The demo page: SDK from /sdk/mtrace.iife.js, hls.js and dash.js attached, session links, autostart.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { demoView } from '../src/views/demo';
import { makeContext, settle } from './helpers';

const hlsInstances: { source?: string; media?: unknown; destroyed: boolean }[] = [];
vi.mock('hls.js', () => {
  class Hls {
    static version = '1.7.4-test';
    static isSupported() { return true; }
    source?: string; media?: unknown; destroyed = false;
    constructor() { hlsInstances.push(this); }
    loadSource(url: string) { this.source = url; }
    attachMedia(video: unknown) { this.media = video; }
    destroy() { this.destroyed = true; }
  }
  return { default: Hls };
});

const dashPlayers: { url?: string; autoplay?: boolean; wasReset: boolean }[] = [];
vi.mock('dashjs', () => ({
  MediaPlayer: () => ({
    create: () => {
      const player = {
        url: undefined as string | undefined, autoplay: undefined as boolean | undefined, wasReset: false,
        getVersion: () => '5.2.1-test',
        on() {},
        initialize(_video: unknown, url: string, autoplay: boolean) { player.url = url; player.autoplay = autoplay; },
        reset() { player.wasReset = true; },
      };
      dashPlayers.push(player);
      return player;
    },
  }),
}));

interface TrackerOptions { endpoint: string; token: string; projectId: string; meta: Record<string, string> }

function installSdk() {
  const created: TrackerOptions[] = [];
  const attached: string[] = [];
  let destroyed = 0;
  let n = 0;
  const sdk = {
    createTracker: (options: TrackerOptions) => {
      created.push(options);
      return { sessionId: `sess-${++n}-<b>`, destroy: async () => { destroyed++; } };
    },
    attachHlsJs: () => { attached.push('hls'); return { detach: () => {} }; },
    attachDashJs: () => { attached.push('dash'); return { detach: () => {} }; },
  };
  (window as unknown as { MTrace: unknown }).MTrace = sdk;
  return { created, attached, destroyed: () => destroyed };
}

let root: HTMLElement;
afterEach(() => {
  root?.remove();
  delete (window as unknown as { MTrace?: unknown }).MTrace;
});

// The lab's demo page asked to start both players at once, mounted in a fresh root.
function autostartedLab() {
  const made = makeContext(() => new Response(''), '/demo?autostart=1', {
    lab: true, demo_token: 'demo-token', lab_streams: { hls: '/lab/hls/master.m3u8', dash: '/lab/dash/manifest.mpd' },
  });
  root = document.createElement('div');
  document.body.appendChild(root);
  return made;
}

describe('demo page', () => {
  it('autostarts both players with the SDK attached and links their sessions', async () => {
    const sdk = installSdk();
    HTMLMediaElement.prototype.play = () => Promise.resolve();
    const { context } = autostartedLab();
    const cleanup = demoView(root, context);
    await settle(30);

    expect(sdk.attached.sort()).toEqual(['dash', 'hls']);
    const byPlayer = Object.fromEntries(sdk.created.map((options) => [options.meta.player_name, options]));
    expect(byPlayer['hls.js']).toMatchObject({ endpoint: '/api/playback-events', token: 'demo-token', projectId: 'demo', meta: { content_id: 'lab-stream', player_version: '1.7.4-test' } });
    expect(byPlayer['dash.js'].meta.player_version).toBe('5.2.1-test');
    expect(hlsInstances.at(-1)!.source).toBe(new URL('/lab/hls/master.m3u8', location.href).href);
    expect(dashPlayers.at(-1)!.url).toBe(new URL('/lab/dash/manifest.mpd', location.href).href);

    const hlsLink = root.querySelector('[data-testid="demo-hls-session-link"]')!;
    const dashLink = root.querySelector('[data-testid="demo-dash-session-link"]')!;
    expect([hlsLink.textContent, dashLink.textContent].sort()).toEqual(['sess-1-<b>', 'sess-2-<b>']);
    expect(hlsLink.getAttribute('href')).toBe(`/sessions/${encodeURIComponent(hlsLink.textContent!)}`);
    expect((root.querySelector('[data-testid="demo-hls-video"]') as HTMLVideoElement).muted).toBe(true);

    cleanup?.();
    await settle();
    expect(sdk.destroyed()).toBe(2);
    expect(hlsInstances.at(-1)!.destroyed).toBe(true);
    expect(dashPlayers.at(-1)!.wasReset).toBe(true);
  });

  it('waits for a click without autostart', async () => {
    const sdk = installSdk();
    const { context } = makeContext(() => new Response(''), '/demo', { lab: true, demo_token: 'demo-token', lab_streams: { hls: '/h.m3u8', dash: '/d.mpd' } });
    root = document.createElement('div');
    document.body.appendChild(root);
    const cleanup = demoView(root, context);
    await settle();
    expect(sdk.created).toEqual([]);
    (root.querySelector('[data-testid="demo-hls-start"]') as HTMLButtonElement).click();
    await settle(30);
    expect(sdk.created.map((options) => options.meta.player_name)).toEqual(['hls.js']);
    cleanup?.();
  });
});

describe('demo page outside the lab', () => {
  it('asks for a stream URL instead of starting a player on nothing', async () => {
    const sdk = installSdk();
    const { context } = makeContext(() => new Response(''), '/demo?autostart=1', { lab: false });
    root = document.createElement('div');
    document.body.appendChild(root);
    const cleanup = demoView(root, context);
    await settle(20);
    expect(sdk.created).toEqual([]);
    expect(root.querySelector('[data-testid="demo-hls-status"]')!.textContent).toBe('enter a stream URL first');
    cleanup?.();
  });

  it('tears down a player that finishes starting after the page was left', async () => {
    const sdk = installSdk();
    HTMLMediaElement.prototype.play = () => Promise.resolve();
    const { context } = autostartedLab();
    const hlsBefore = hlsInstances.length;
    const dashBefore = dashPlayers.length;
    const cleanup = demoView(root, context);
    // Left while both players are "starting…": the SDK is there, the player modules still load.
    await Promise.resolve();
    await Promise.resolve();
    expect(root.querySelector('[data-testid="demo-hls-status"]')!.textContent).toBe('starting…');
    cleanup?.();
    await settle(30);
    // Whatever was attached afterwards is torn down again, trackers ended.
    const hlsNew = hlsInstances.slice(hlsBefore);
    const dashNew = dashPlayers.slice(dashBefore);
    expect([hlsNew.length, dashNew.length]).toEqual([1, 1]);
    expect(hlsNew.every((hls) => hls.destroyed)).toBe(true);
    expect(dashNew.every((player) => player.wasReset)).toBe(true);
    expect(sdk.destroyed()).toBe(sdk.created.length);
  });
});
