import { ApiClient } from '../src/api';
import type { AppContext } from '../src/context';
import { matchRoute } from '../src/router';
import { LiveStream } from '../src/sse';
import type { AppConfig } from '../src/types';

export interface Call {
  url: string;
  init: RequestInit;
  headers: Record<string, string>;
}

export type Responder = (url: string, init: RequestInit) => Response | Promise<Response>;

export function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}

// A fetch that records every call and answers with `respond`.
export function fakeFetch(respond: Responder) {
  const calls: Call[] = [];
  const fetch = async (url: string, init: RequestInit = {}) => {
    calls.push({ url, init, headers: { ...(init.headers as Record<string, string>) } });
    return respond(url, init);
  };
  return { fetch, calls };
}

export function makeContext(respond: Responder, path: string, config: AppConfig = {}) {
  const { fetch, calls } = fakeFetch(respond);
  const unauthorized: string[] = [];
  const api = new ApiClient({ fetch, token: () => 'read-token', onUnauthorized: () => unauthorized.push('api') });
  // Never started: tests push frames with live.dispatch().
  const live = new LiveStream({ fetch, token: () => 'read-token' });
  const url = new URL(path, 'http://dashboard.test');
  const navigations: string[] = [];
  const context: AppContext = {
    api,
    live,
    config,
    route: matchRoute(url.pathname),
    query: url.searchParams,
    navigate: (to) => navigations.push(to),
    setTitle: () => {},
  };
  return { context, calls, unauthorized, navigations, live };
}

// Lets pending promises and fetches settle.
export async function settle(rounds = 10): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((resolve) => setTimeout(resolve, 0));
}
