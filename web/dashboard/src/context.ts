import type { ApiClient } from './api';
import type { Route } from './router';
import type { LiveStream } from './sse';
import type { AppConfig } from './types';

export interface AppContext {
  api: ApiClient;
  live: LiveStream;
  config: AppConfig;
  route: Route;
  query: URLSearchParams;
  // Changes the URL inside the app; `replace` keeps the history entry (filter changes).
  navigate(path: string, options?: { replace?: boolean; render?: boolean }): void;
  setTitle(title: string): void;
}

// A view renders into `root` and returns what stops its timers and subscriptions.
export type View = (root: HTMLElement, context: AppContext) => (() => void) | void;

// Runs `task` at most once per `ms`, the last call winning (coalesces bursts of live frames).
export function debounce(task: () => void, ms: number): { (): void; cancel(): void } {
  let timer: ReturnType<typeof setTimeout> | null = null;
  const run = () => {
    if (timer !== null) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      task();
    }, ms);
  };
  run.cancel = () => {
    if (timer !== null) clearTimeout(timer);
    timer = null;
  };
  return run;
}
