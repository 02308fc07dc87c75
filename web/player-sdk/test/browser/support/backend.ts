// The ingest backend of a browser test: the real `mtrace serve` when MTRACE_BIN names the binary,
// otherwise the strict loopback collector. Tests read stored events through the same read API.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { startCollector, type Collector } from './collector';

export interface StoredSession {
  session: Record<string, unknown>;
  events: Array<{ event_name: string; sequence_number?: number; client_timestamp: string; trace_id?: string; meta?: Record<string, any> }>;
}

export interface Backend {
  kind: 'mtrace' | 'collector';
  endpoint: string;
  readSession(sessionId: string): Promise<StoredSession | undefined>;
  /** Problems the backend saw (the collector's wire-format rejections, the server's stderr). */
  problems(): string[];
  stop(): Promise<void>;
}

async function startMtrace(binary: string, allowedOrigin: string): Promise<{ origin: string; child: ChildProcess; dir: string; stderr: string[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'mtrace-sdk-'));
  const projects = join(dir, 'projects.json');
  writeFileSync(projects, JSON.stringify([{ id: 'demo', ingest_tokens: ['demo-token'], read_tokens: ['demo-token'], allowed_origins: [allowedOrigin] }]));
  const child = spawn(binary, ['serve', '--listen', '127.0.0.1:0', '--sqlite-path', join(dir, 'm.db'), '--projects', projects], { stdio: ['ignore', 'pipe', 'pipe'] });
  const stderr: string[] = [];
  child.stderr!.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`mtrace did not report listening: ${stderr.join('')}`)), 15_000);
    child.once('exit', (code) => reject(new Error(`mtrace exited with ${code}: ${stderr.join('')}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        const record = JSON.parse(line);
        if (record.msg === 'listening') {
          clearTimeout(timer);
          resolve(Number(record.port));
        }
      } catch {
        // not a JSON log line
      }
    });
  });
  return { origin: `http://127.0.0.1:${port}`, child, dir, stderr };
}

export async function startBackend(allowedOrigin: string): Promise<Backend> {
  const binary = process.env.MTRACE_BIN;
  let origin: string;
  let stop: () => Promise<void>;
  let problems: () => string[];
  let collector: Collector | undefined;
  if (binary) {
    const server = await startMtrace(binary, allowedOrigin);
    origin = server.origin;
    problems = () => [];
    stop = async () => {
      const exited = new Promise((resolve) => server.child.once('exit', resolve));
      server.child.kill('SIGTERM');
      await exited;
      rmSync(server.dir, { recursive: true, force: true });
    };
  } else {
    collector = await startCollector(allowedOrigin);
    origin = collector.origin;
    problems = () => collector!.rejections;
    stop = () => collector!.stop();
  }
  return {
    kind: binary ? 'mtrace' : 'collector',
    endpoint: `${origin}/api/playback-events`,
    async readSession(sessionId) {
      const response = await fetch(`${origin}/api/stream-sessions/${encodeURIComponent(sessionId)}?events_limit=1000`, { headers: { 'X-MTrace-Token': 'demo-token' } });
      if (response.status === 404) return undefined;
      if (!response.ok) throw new Error(`read session: HTTP ${response.status} ${await response.text()}`);
      return (await response.json()) as StoredSession;
    },
    problems,
    stop,
  };
}
