// Path routes of the single-page app (docs/decisions.md "Dashboard bootstrap").

export type Route =
  | { name: 'overview' }
  | { name: 'sessions' }
  | { name: 'session'; id: string }
  | { name: 'events' }
  | { name: 'errors' }
  | { name: 'status' }
  | { name: 'demo' }
  | { name: 'not_found'; path: string };

export function matchRoute(pathname: string): Route {
  const path = pathname.length > 1 ? pathname.replace(/\/+$/, '') : pathname;
  switch (path) {
    case '/':
      return { name: 'overview' };
    case '/sessions':
      return { name: 'sessions' };
    case '/events':
      return { name: 'events' };
    case '/errors':
      return { name: 'errors' };
    case '/status':
      return { name: 'status' };
    case '/demo':
      return { name: 'demo' };
  }
  const detail = /^\/sessions\/(.+)$/.exec(path);
  if (detail) {
    try {
      return { name: 'session', id: decodeURIComponent(detail[1]) };
    } catch {
      // A malformed %-escape is no session id.
    }
  }
  return { name: 'not_found', path };
}

// With the project (known to list rows) the page can read the session with an admin token too.
export function sessionPath(id: string, projectId?: string): string {
  const path = `/sessions/${encodeURIComponent(id)}`;
  return projectId ? `${path}?project_id=${encodeURIComponent(projectId)}` : path;
}

// Paths the server answers itself; links to them leave the app.
const SERVER_PREFIXES = ['/api/', '/sdk/', '/lab/', '/assets/'];

export function isAppPath(pathname: string): boolean {
  return !SERVER_PREFIXES.some((prefix) => pathname.startsWith(prefix));
}
