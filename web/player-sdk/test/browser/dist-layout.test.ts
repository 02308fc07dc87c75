// The dist/ contract of docs/decisions.md ("Player SDK surface"): one ESM file per entry with its
// declaration, and the script-tag bundle defining the global MTrace with everything.
import { existsSync, readFileSync } from 'node:fs';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { distDir } from './support/paths';

const ENTRIES: Record<string, string[]> = {
  'index.js': ['createTracker'],
  'hlsjs.js': ['attachHlsJs'],
  'dashjs.js': ['attachDashJs'],
  'video.js': ['attachVideo'],
  'whep.js': ['attachWhep'],
};

describe('dist layout', () => {
  it.each(Object.entries(ENTRIES))('%s exports %s and has a declaration', async (file, names) => {
    const module = await import(`${distDir}/${file}`);
    for (const name of names) expect(typeof module[name]).toBe('function');
    const declaration = `${distDir}/${file.replace(/\.js$/, '.d.ts')}`;
    expect(existsSync(declaration)).toBe(true);
  });

  it('mtrace.iife.js defines the global MTrace with the tracker and every adapter', () => {
    const sandbox: Record<string, any> = { crypto: globalThis.crypto, TextEncoder, setTimeout, clearTimeout, setInterval, clearInterval };
    sandbox.globalThis = sandbox;
    runInNewContext(readFileSync(`${distDir}/mtrace.iife.js`, 'utf8'), sandbox);
    for (const name of ['createTracker', 'attachHlsJs', 'attachDashJs', 'attachVideo', 'attachWhep', 'redactUrl']) {
      expect(typeof sandbox.MTrace?.[name]).toBe('function');
    }
    const tracker = sandbox.MTrace.createTracker({ endpoint: 'http://127.0.0.1:9/x', token: 't', projectId: 'demo', flushIntervalMs: 0 });
    expect(tracker.traceId).toMatch(/^[0-9a-f]{32}$/);
  });
});
