// @vitest-environment happy-dom
// A session id used again in the same tab (a reload that keeps it, a new tracker after
// destroy()) must not restart sequence numbers at 1: the server flags repeated numbers as
// duplicates.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createTracker } from '../../src/tracker';
import { fakeFetch } from './helpers';

const base = { endpoint: 'http://127.0.0.1:9/api/playback-events', token: 'demo-token', projectId: 'demo', pageLifecycle: false, flushIntervalMs: 0 };

async function run(sessionId: string | undefined, count: number): Promise<number[]> {
  const net = fakeFetch();
  const t = createTracker({ ...base, sessionId, fetch: net.fetch });
  for (let i = 0; i < count; i++) t.track('custom_event');
  await t.destroy();
  return net.calls.flatMap((c) => c.body.events.map((e: any) => e.sequence_number));
}

afterEach(() => {
  vi.unstubAllGlobals();
  sessionStorage.clear();
});

describe('sequence numbers of a reused session id', () => {
  it('continue after the numbers used before in this tab, for each session id on its own', async () => {
    const first = await run('7f9c1c1e-0000-4000-8000-000000000001', 3);
    expect(first).toEqual([1, 2, 3, 4]);
    const second = await run('7f9c1c1e-0000-4000-8000-000000000001', 40);
    expect(second).toHaveLength(41);
    expect(second[0]).toBeGreaterThan(4);
    for (let i = 1; i < second.length; i++) expect(second[i]).toBe(second[0] + i);
    const third = await run('7f9c1c1e-0000-4000-8000-000000000001', 1);
    expect(third[0]).toBeGreaterThan(second.at(-1)!);
    expect(await run('7f9c1c1e-0000-4000-8000-000000000002', 2)).toEqual([1, 2, 3]);
    expect((await run(undefined, 1))[0]).toBe(1);
  });

  it('start at 1 when the storage is unusable, and never let it break track()', async () => {
    vi.stubGlobal('sessionStorage', {
      getItem: () => { throw new DOMException('denied', 'SecurityError'); },
      setItem: () => { throw new DOMException('full', 'QuotaExceededError'); },
    });
    expect(() => sessionStorage.setItem('x', 'y')).toThrow('full');  // the stub is in place
    expect(await run('7f9c1c1e-0000-4000-8000-000000000003', 2)).toEqual([1, 2, 3]);
  });

  it('ignore a stored value that is not a count', async () => {
    sessionStorage.setItem('mtrace.seq.7f9c1c1e-0000-4000-8000-000000000004', 'NaN');
    expect(await run('7f9c1c1e-0000-4000-8000-000000000004', 1)).toEqual([1, 2]);
  });
});
