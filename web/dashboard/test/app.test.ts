// The bootstrap of main.ts: read token from /api/config, the token form, 401 handling, routing.
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { fakeFetch, json, settle, type Responder } from './helpers';

function hangingStream(_url: string, init: RequestInit): Promise<Response> {
  return new Promise((_resolve, reject) => init.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError'))));
}

async function boot(respond: Responder, path = '/') {
  vi.resetModules();
  document.body.replaceChildren();
  history.replaceState(null, '', path);
  const { fetch, calls } = fakeFetch((url, init) => (url === '/api/stream-sessions/stream' ? hangingStream(url, init) : respond(url, init)));
  vi.stubGlobal('fetch', fetch);
  await import('../src/main');
  await settle(20);
  return calls;
}

beforeEach(() => localStorage.clear());

describe('dashboard bootstrap', () => {
  it('stores the lab demo token, sends it, and asks again after a 401', async () => {
    let refuse = false;
    const calls = await boot((url) => {
      if (url === '/api/config') return json({ lab: true, demo_token: 'demo-token' });
      if (refuse) return json({ error: 'unauthorized', message: 'token refused' }, 401);
      if (url.startsWith('/api/stream-sessions')) return json({ sessions: [] });
      return json({});
    });
    expect(localStorage.getItem('mtrace.readToken')).toBe('demo-token');
    const overview = calls.find((call) => call.url === '/api/overview')!;
    expect(overview.headers['X-MTrace-Token']).toBe('demo-token');
    expect(calls.find((call) => call.url === '/api/stream-sessions/stream')!.headers['X-MTrace-Token']).toBe('demo-token');

    // A refused token brings the form back (here on navigating to /sessions through the nav).
    refuse = true;
    (document.querySelector('nav a[href="/sessions"]') as HTMLAnchorElement).click();
    await settle(20);
    expect(location.pathname).toBe('/sessions');
    expect(document.querySelector('[data-testid="token-form"]')).not.toBeNull();
    expect(document.body.textContent).toContain('The server refused the read token.');
    expect(localStorage.getItem('mtrace.readToken')).toBeNull();

    refuse = false;
    const input = document.querySelector('[data-testid="token-input"]') as HTMLInputElement;
    input.value = 'other-token';
    (document.querySelector('[data-testid="token-form"]') as HTMLFormElement).requestSubmit();
    await settle(20);
    expect(localStorage.getItem('mtrace.readToken')).toBe('other-token');
    const list = calls.filter((call) => call.url.startsWith('/api/stream-sessions?')).pop()!;
    expect(list.headers['X-MTrace-Token']).toBe('other-token');
    expect(document.querySelector('[data-testid="token-form"]')).toBeNull();
    vi.unstubAllGlobals();
  });

  it('shows the token form first when the server offers no demo token', async () => {
    const calls = await boot((url) => (url === '/api/config' ? json({ lab: false }) : json({})), '/events');
    expect(document.querySelector('[data-testid="token-form"]')).not.toBeNull();
    expect(calls.map((call) => call.url)).toEqual(['/api/config']);
    vi.unstubAllGlobals();
  });

  it('answers unknown paths with a not-found page', async () => {
    localStorage.setItem('mtrace.readToken', 't');
    await boot((url) => (url === '/api/config' ? json({}) : json({})), '/no/such/page');
    expect(document.querySelector('h1')!.textContent).toBe('Not found');
    vi.unstubAllGlobals();
  });

  it('restarts the live stream when the token form is cancelled', async () => {
    localStorage.setItem('mtrace.readToken', 't');
    const calls = await boot((url) => (url === '/api/config' ? json({}) : url.startsWith('/api/stream-sessions') ? json({ sessions: [] }) : json({})), '/sessions');
    const streams = () => calls.filter((call) => call.url === '/api/stream-sessions/stream').length;
    expect(streams()).toBe(1);
    const tokenButton = [...document.querySelectorAll('header button')].find((b) => b.textContent === 'Token') as HTMLButtonElement;
    tokenButton.click();
    await settle();
    expect(document.querySelector('.live-badge')!.textContent).toBe('live: off');
    const cancel = [...document.querySelectorAll('[data-testid="token-form"] button')].find((b) => b.textContent === 'Cancel') as HTMLButtonElement;
    cancel.click();
    await settle(20);
    expect(document.querySelector('[data-testid="token-form"]')).toBeNull();
    expect(streams()).toBe(2);
    expect(document.querySelector('.live-badge')!.textContent).not.toBe('live: off');
    vi.unstubAllGlobals();
  });
});
