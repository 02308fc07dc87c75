import './styles.css';
import { ApiClient } from './api';
import type { AppContext, View } from './context';
import { errorBox, h, replaceChildren } from './dom';
import { isAppPath, matchRoute, type Route } from './router';
import { LiveStream, type LiveState } from './sse';
import { clearToken, readToken, storeToken } from './token';
import type { AppConfig } from './types';
import { demoView } from './views/demo';
import { eventsView } from './views/events';
import { overviewView } from './views/overview';
import { sessionDetailView } from './views/session-detail';
import { sessionsView } from './views/sessions';
import { statusView } from './views/status';
import { tokenForm } from './views/token-form';

const NAV: [string, string][] = [
  ['/', 'Overview'],
  ['/sessions', 'Sessions'],
  ['/events', 'Events'],
  ['/errors', 'Errors'],
  ['/status', 'Status'],
  ['/demo', 'Demo'],
];

const VIEWS: Record<Exclude<Route['name'], 'not_found'>, View> = {
  overview: overviewView,
  sessions: sessionsView,
  session: sessionDetailView,
  events: (root, context) => eventsView(root, context, 'events'),
  errors: (root, context) => eventsView(root, context, 'errors'),
  status: statusView,
  demo: demoView,
};

const LIVE_LABEL: Record<LiveState, string> = {
  idle: 'live: off',
  connecting: 'live: connecting',
  connected: 'live',
  reconnecting: 'live: reconnecting',
  unauthorized: 'live: no access',
  stopped: 'live: off',
};

// Why the token form is up: null when it is not, '' when the viewer asked for it.
let tokenRequest: string | null = null;
let cleanup: (() => void) | void;

const api = new ApiClient({ token: readToken, onUnauthorized: () => askForToken('The server refused the read token.') });
const live = new LiveStream({ token: readToken, onUnauthorized: () => askForToken('The server refused the read token.') });

const main = h('main', { id: 'main', tabindex: '-1' });
const navLinks = NAV.map(([path, label]) => h('a', { href: path }, label));
const liveBadge = h('span', { class: 'live-badge', role: 'status', 'aria-live': 'polite' }, LIVE_LABEL.idle);
const tokenButton = h('button', { type: 'button', class: 'link-button', on: { click: () => askForToken('') } }, 'Token');

function layout(): HTMLElement {
  return h('div', { class: 'app' },
    h('a', { href: '#main', class: 'skip-link', on: { click: (event) => { event.preventDefault(); main.focus(); } } }, 'Skip to content'),
    h('header', { class: 'topbar' },
      h('a', { href: '/', class: 'brand' }, 'm-trace'),
      h('nav', { 'aria-label': 'Main' }, navLinks),
      h('div', { class: 'topbar-end' }, liveBadge, tokenButton)),
    main);
}

function askForToken(problem: string): void {
  tokenRequest = problem;
  if (problem) clearToken();
  live.stop();
  render();
}

function updateNav(pathname: string): void {
  for (const link of navLinks) {
    const target = link.getAttribute('href') ?? '';
    const current = target === '/' ? pathname === '/' : pathname === target || pathname.startsWith(`${target}/`);
    if (current) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
}

let config: AppConfig = {};

function render(focus = false): void {
  if (cleanup) cleanup();
  cleanup = undefined;
  const route = matchRoute(location.pathname);
  updateNav(location.pathname);
  const context: AppContext = {
    api,
    live,
    config,
    route,
    query: new URLSearchParams(location.search),
    navigate,
    setTitle: (title) => { document.title = `${title} · m-trace`; },
  };
  main.setAttribute('aria-busy', 'false');
  // The demo page needs no read token: it only posts events with the ingest token.
  if (route.name !== 'demo' && (tokenRequest !== null || !readToken())) {
    context.setTitle('Read token');
    replaceChildren(main, tokenForm(tokenRequest ?? '', config.demo_token, (token) => {
      storeToken(token);
      tokenRequest = null;
      live.stop();
      live.start();
      render(true);
    }, readToken() ? () => {
      // The form stopped the live stream; the kept token reads it again.
      tokenRequest = null;
      live.start();
      render(true);
    } : undefined));
  } else if (route.name === 'not_found') {
    context.setTitle('Not found');
    replaceChildren(main, h('h1', null, 'Not found'), errorBox(`Nothing lives at ${route.path}.`));
  } else {
    replaceChildren(main);
    cleanup = VIEWS[route.name](main, context);
  }
  if (focus) main.focus();
}

function navigate(path: string, options: { replace?: boolean; render?: boolean } = {}): void {
  if (options.replace) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  if (options.render !== false) render(!options.replace);
}

document.addEventListener('click', (event) => {
  if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  const anchor = (event.target as Element | null)?.closest?.('a');
  if (!anchor || anchor.target || anchor.hasAttribute('download')) return;
  const url = new URL(anchor.href, location.href);
  if (url.origin !== location.origin || !isAppPath(url.pathname)) return;
  event.preventDefault();
  navigate(url.pathname + url.search);
});

window.addEventListener('popstate', () => render());
live.onState((state) => {
  replaceChildren(liveBadge, LIVE_LABEL[state]);
  liveBadge.className = `live-badge live-${state}`;
});

async function boot(): Promise<void> {
  document.body.appendChild(layout());
  try {
    config = await api.config();
  } catch {
    config = {}; // an older server without /api/config: ask for the token
  }
  if (!readToken() && config.demo_token) storeToken(config.demo_token);
  if (readToken()) live.start();
  render();
}

void boot();
