// Starts `$MTRACE_BIN lab` on a free loopback port and stops it again.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export const TOKEN = 'demo-token';
const API_TIMEOUT_MS = 20_000;

export interface Lab {
  baseUrl: string;
  port: number;
  logs: string[];
  /** GET/POST against the lab with the demo token; the JSON body, or null for an empty one. */
  api(path: string, init?: RequestInit): Promise<{ status: number; body: any }>;
  status(): Promise<{ ffmpeg: string; restarts: number; last_error: string; pid: number | null }>;
  stop(): Promise<void>;
}

export function mtraceBinary(): string {
  const binary = process.env.MTRACE_BIN;
  if (!binary) throw new Error('MTRACE_BIN is not set: point it at the mtrace binary (e.g. build/test/mtrace)');
  return binary;
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | null | false>, timeoutMs = 30_000,
  intervalMs = 250): Promise<T> {
  const deadline = performance.now() + timeoutMs;  // monotonic: a step of the wall clock must not end the wait
  let lastError: unknown;
  while (performance.now() < deadline) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${String(lastError)})` : ''}`);
}

export async function startLab(extraArgs: string[] = [], { waitForStream = true } = {}): Promise<Lab> {
  const dataDir = await mkdtemp(join(tmpdir(), 'mtrace-e2e-'));
  const child: ChildProcess = spawn(mtraceBinary(),
    ['lab', '--listen', '127.0.0.1:0', '--sqlite-path', join(dataDir, 'lab.db'), ...extraArgs],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ASAN_OPTIONS: 'detect_leaks=0' } });
  const logs: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.stderr!.on('data', (chunk: Buffer) => logs.push(chunk.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`mtrace lab did not log "listening" in 20 s:\n${logs.join('\n')}`)), 20_000);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      logs.push(line);
      try {
        const entry = JSON.parse(line);
        if (entry.msg === 'listening') {
          clearTimeout(timer);
          resolve(entry.port);
        }
      } catch {
        // not a JSON log line: kept in the log only
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`mtrace lab exited (${code}) before listening:\n${logs.join('\n')}`));
    });
  });
  const baseUrl = `http://127.0.0.1:${port}`;

  const api: Lab['api'] = async (path, init = {}) => {
    // Bounded, so that a server that stops answering fails the test with its name and log.
    const response = await fetch(baseUrl + path, {
      signal: AbortSignal.timeout(API_TIMEOUT_MS),
      ...init, headers: { 'X-MTrace-Token': TOKEN, 'Content-Type': 'application/json', ...(init.headers ?? {}) },
    }).catch((error: unknown) => {
      throw new Error(`${init.method ?? 'GET'} ${path}: ${String(error)}\nlast lab log lines:\n${logs.slice(-20).join('\n')}`);
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : null };
  };
  const lab: Lab = {
    baseUrl, port, logs, api,
    status: async () => (await api('/api/status')).body.lab,
    stop: async () => {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
      await rm(dataDir, { recursive: true, force: true });
    },
  };
  if (waitForStream) {
    try {
      await waitFor('the lab HLS stream', async () => (await fetch(`${baseUrl}/lab/hls/high/index.m3u8`)).ok
        && (await fetch(`${baseUrl}/lab/dash/manifest.mpd`)).ok, 30_000);
    } catch (error) {
      await lab.stop();
      throw error;
    }
  }
  return lab;
}
