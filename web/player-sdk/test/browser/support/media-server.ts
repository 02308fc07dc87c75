// Static loopback server for the browser tests: the test pages, the built SDK at /sdk/, the
// players at /vendor/, and the FFmpeg test media at /media/, with a hook that holds back one
// chosen segment request (to force a stall).
import { execFileSync } from 'node:child_process';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import { distDir, mediaDir, packageRoot, pagesDir, repoRoot } from './paths';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.m3u8': 'application/vnd.apple.mpegurl',
  '.mpd': 'application/dash+xml', '.m4s': 'video/iso.segment', '.mp4': 'video/mp4', '.ts': 'video/mp2t',
};

const ROOTS: Array<[string, string]> = [
  ['/sdk/', distDir],
  ['/media/', mediaDir],
  ['/vendor/hls/', `${packageRoot}node_modules/hls.js/dist`],
  ['/vendor/dash/', `${packageRoot}node_modules/dashjs/dist/modern/umd`],
  ['/', pagesDir],
];

export interface MediaServer {
  origin: string;
  port: number;
  /** Paths requested so far, in order. */
  requests: string[];
  /** Holds back the first request whose path matches `pattern` by `ms` (once). */
  stallOnce(pattern: RegExp, ms: number): void;
  stop(): Promise<void>;
}

export function ensureTestMedia(): void {
  execFileSync(`${repoRoot}scripts/make-test-media`, [mediaDir], { stdio: 'inherit' });
}

/** Extra dynamic routes; returns true when it answered the request. */
export type RouteHandler = (request: IncomingMessage, response: ServerResponse, path: string) => boolean;

export async function startMediaServer(routes?: RouteHandler): Promise<MediaServer> {
  const requests: string[] = [];
  let stall: { pattern: RegExp; ms: number } | undefined;
  const server: Server = createServer((request, response) => {
    const path = decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname);
    requests.push(path);
    if (routes?.(request, response, path)) return;
    const root = ROOTS.find(([prefix]) => path.startsWith(prefix));
    const file = root && normalize(join(root[1], path.slice(root[0].length) || 'index.html'));
    if (!root || !file || !file.startsWith(root[1]) || !existsSync(file) || !statSync(file).isFile()) {
      response.writeHead(404).end();
      return;
    }
    const send = () => {
      response.writeHead(200, { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream', 'Cache-Control': 'no-store' });
      createReadStream(file).pipe(response);
    };
    if (stall && stall.pattern.test(path)) {
      const { ms } = stall;
      stall = undefined;
      setTimeout(send, ms);
    } else {
      send();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    port,
    requests,
    stallOnce(pattern, ms) {
      stall = { pattern, ms };
    },
    stop: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
