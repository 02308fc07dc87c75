// The whole loop in a browser: `mtrace lab` streams, the demo plays with the SDK attached, the
// dashboard shows the sessions live; plus escaping of hostile input and FFmpeg faults.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';

import { launchBrowser, screenshot, videoTime, withTimeout, type Browser } from '../lib/browser.ts';
import { startLab, waitFor, type Lab } from '../lib/lab.ts';

async function timeAdvances(page: Page, testId: string, what: string, bySeconds = 1): Promise<void> {
  const first = await waitFor(`${what} to start playing`, async () => {
    const time = await videoTime(page, testId);
    return time > 0.5 ? time : undefined;
  }, 40_000);
  const target = first + bySeconds;
  await waitFor(`${what} to advance past ${target.toFixed(2)} s`, async () => (await videoTime(page, testId)) > target, 20_000 + bySeconds * 1000);
}

async function sessionLinkId(page: Page, kind: 'hls' | 'dash'): Promise<string> {
  const link = page.getByTestId(`demo-${kind}-session-link`);
  await link.waitFor({ timeout: 30_000 });
  const id = (await link.textContent())?.trim();
  assert.ok(id, `the ${kind} demo shows its session id`);
  return id;
}

describe('mtrace lab with the demo and the dashboard', () => {
  let lab: Lab;
  let browser: Browser;
  let sessionsPage: Page;
  let demoPage: Page;
  let hlsSession = '';
  const dialogs: string[] = [];

  before(async () => {
    lab = await startLab();
    browser = await launchBrowser();
    browser.context.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
  });

  after(async () => {
    await browser?.close();
    await lab?.stop();
  });

  test('serves the three packagings with media types, caching and CORS', { timeout: 30_000 }, async () => {
    const expectations: Array<[string, string, RegExp]> = [
      ['/lab/hls/master.m3u8', 'application/vnd.apple.mpegurl', /#EXT-X-STREAM-INF:.*RESOLUTION=640x360/],
      ['/lab/hls-ts/master.m3u8', 'application/vnd.apple.mpegurl', /#EXT-X-STREAM-INF:.*RESOLUTION=320x180/],
      ['/lab/dash/manifest.mpd', 'application/dash+xml', /type="dynamic"/],
    ];
    for (const [path, type, body] of expectations) {
      const response = await waitFor(`${path}`, async () => {
        const got = await fetch(lab.baseUrl + path, { headers: { Origin: 'https://player.example' } });
        return got.ok ? got : undefined;
      });
      assert.equal(response.headers.get('content-type'), type, path);
      assert.equal(response.headers.get('cache-control'), 'no-cache', path);
      // Any page may load the lab's media: its Origin is named, never '*'.
      assert.equal(response.headers.get('access-control-allow-origin'), 'https://player.example', path);
      assert.match(await response.text(), body, path);
    }
    const playlist = await (await fetch(`${lab.baseUrl}/lab/hls-ts/low/index.m3u8`)).text();
    const segment = playlist.split('\n').find((line) => line.endsWith('.ts'));
    assert.ok(segment, 'the MPEG-TS playlist lists a segment');
    const media = await fetch(`${lab.baseUrl}/lab/hls-ts/low/${segment}`);
    assert.equal(media.status, 200);
    assert.equal(media.headers.get('content-type'), 'video/mp2t');
    assert.match(media.headers.get('cache-control') ?? '', /max-age=\d+/);
    // fetch() would normalise the dots away: send the raw path.
    const traversal = await new Promise<number>((resolve, reject) => {
      http.get({ host: '127.0.0.1', port: lab.port, path: '/lab/hls/../../lab.db' }, (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      }).on('error', reject);
    });
    assert.equal(traversal, 404);
  });

  test('fails a chosen segment on request, then serves it again', { timeout: 30_000 }, async () => {
    const playlist = await (await fetch(`${lab.baseUrl}/lab/hls/low/index.m3u8`)).text();
    const segment = playlist.split('\n').find((line) => line.endsWith('.m4s'));
    assert.ok(segment);
    const rule = await fetch(`${lab.baseUrl}/lab/faults`, {
      method: 'POST', body: JSON.stringify({ segment_pattern: `/hls/low/${segment}`, status: 503, count: 1 }),
    });
    assert.equal(rule.status, 201);
    assert.equal((await fetch(`${lab.baseUrl}/lab/hls/low/${segment}`)).status, 503);
    assert.equal((await fetch(`${lab.baseUrl}/lab/hls/low/${segment}`)).status, 200);
    const delayed = await fetch(`${lab.baseUrl}/lab/faults`, {
      method: 'POST', body: JSON.stringify({ segment_pattern: '*.mpd', delay_ms: 800, count: 1 }),
    });
    assert.equal(delayed.status, 201);
    const started = performance.now();
    assert.equal((await fetch(`${lab.baseUrl}/lab/dash/manifest.mpd`)).status, 200);
    assert.ok(performance.now() - started >= 700, 'the delayed MPD came late');
    assert.equal((await fetch(`${lab.baseUrl}/lab/faults`, { method: 'DELETE' })).status, 204);
  });

  test('the HLS demo plays and its session appears in the open sessions view without reload', { timeout: 90_000 }, async () => {
    sessionsPage = await browser.newPage();
    await sessionsPage.goto(`${lab.baseUrl}/sessions`);
    await sessionsPage.getByText(/\d+ sessions? shown/).waitFor({ timeout: 15_000 });  // empty list or table
    await sessionsPage.evaluate(() => { (window as unknown as { notReloaded: boolean }).notReloaded = true; });

    demoPage = await browser.newPage();
    await demoPage.goto(`${lab.baseUrl}/demo?autostart=1`);
    hlsSession = await sessionLinkId(demoPage, 'hls');
    await timeAdvances(demoPage, 'demo-hls-video', 'the HLS video');
    await screenshot(demoPage, 'demo');

    await sessionsPage.locator(`[data-testid="session-row"][data-session-id="${hlsSession}"]`).waitFor({ timeout: 30_000 });
    assert.equal(await sessionsPage.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded), true,
      'the sessions view was not reloaded');
    await screenshot(sessionsPage, 'sessions');
  });

  test('the session detail shows playback_started, a startup time and segment loads', { timeout: 60_000 }, async () => {
    assert.ok(hlsSession, 'the HLS session is known');
    await sessionsPage.goto(`${lab.baseUrl}/sessions/${encodeURIComponent(hlsSession)}`);
    const timeline = (name: string) => sessionsPage.locator(`[data-testid="timeline-event"][data-event-name="${name}"]`);
    await timeline('playback_started').first().waitFor({ timeout: 30_000 });
    await waitFor('segment loads in the timeline', async () => (await timeline('segment_loaded').count()) > 0, 30_000);
    const startup = (await sessionsPage.getByTestId('startup-time').textContent()) ?? '';
    assert.match(startup, /\d+(\.\d+)?\s*(ms|s)\b/, `a startup time is shown (got "${startup}")`);
    await screenshot(sessionsPage, 'session-detail-hls');
  });

  test('the DASH demo starts playing and records its own session', { timeout: 120_000 }, async () => {
    const dashSession = await sessionLinkId(demoPage, 'dash');
    assert.notEqual(dashSession, hlsSession);
    // Six seconds are three 2 s segments: more than the first MPD offers, so playing on needs
    // dash.js to reload the live MPD (it once stopped after its first segments).
    await timeAdvances(demoPage, 'demo-dash-video', 'the DASH video', 6);
    const session = await waitFor('the DASH session with playback_started', async () => {
      const { status, body } = await lab.api(`/api/stream-sessions/${encodeURIComponent(dashSession)}?events_limit=100`);
      if (status !== 200) return undefined;
      return body.events?.some((event: { event_name: string }) => event.event_name === 'playback_started') ? body : undefined;
    }, 40_000);
    assert.equal(session.session.dimensions?.player_name ?? session.dimensions?.player_name, 'dash.js');
    const page = await browser.newPage();
    await page.goto(`${lab.baseUrl}/sessions/${encodeURIComponent(dashSession)}`);
    await page.locator('[data-testid="timeline-event"][data-event-name="playback_started"]').first().waitFor({ timeout: 20_000 });
    await screenshot(page, 'session-detail-dash');
    await page.close();
    // The sessions view is done: its live stream would otherwise hold one of the browser's six
    // connections to the lab while the players (kept for the restart test) use others.
    await sessionsPage.close();
  });

  test('hostile strings in events are shown as text and never run', { timeout: 120_000 }, async () => {
    const script = '<script>window.__xss=1;alert("script")</script>';
    const attribute = '"><img src=x onerror="window.__xss=2;alert(\'img\')">';
    const hostileSession = 'xss-"><img src=x onerror=alert(3)>';
    const plainSession = `xss-plain-${Date.now()}`;
    const now = new Date().toISOString();
    const event = (session: string, sequence: number, name: string, meta: Record<string, unknown>) => ({
      event_name: name, project_id: 'demo', session_id: session, client_timestamp: now, sequence_number: sequence,
      sdk: { name: `sdk${attribute}`, version: '1.0' }, meta,
    });
    const ingest = await lab.api('/api/playback-events', {
      method: 'POST',
      body: JSON.stringify({
        schema_version: '1.0',
        events: [
          event(plainSession, 1, 'playback_started', { content_id: script, content_title: attribute, player_name: script }),
          event(plainSession, 2, 'playback_error', { fatal: true, error_type: script, error_details: attribute, error_code: attribute }),
          event(hostileSession, 1, 'playback_started', { content_title: script }),
        ],
      }),
    });
    assert.equal(ingest.status, 202, JSON.stringify(ingest.body));

    const page = await browser.newPage();
    const views = [
      ['xss-sessions', '/sessions'],
      ['xss-session-detail', `/sessions/${encodeURIComponent(plainSession)}`],
      ['xss-errors', '/errors'],
      ['xss-events', '/events'],
    ];
    const ready: Record<string, string> = {
      'xss-sessions': `[data-testid="session-row"][data-session-id="${plainSession}"]`,
      'xss-session-detail': '[data-testid="timeline-event"][data-event-name="playback_error"]',
      'xss-errors': `[data-testid="error-row"][data-session-id="${plainSession}"]`,
      'xss-events': `[data-testid="event-row"][data-session-id="${plainSession}"]`,
    };
    for (const [name, path] of views) {
      await page.goto(lab.baseUrl + path);
      await page.locator(ready[name]).first().waitFor({ timeout: 25_000 });
      await page.waitForTimeout(500);  // let any injected handler fire
      await screenshot(page, name);
      const injected = await withTimeout(page.evaluate(() => ({
        flag: (window as unknown as { __xss?: number }).__xss,
        images: document.querySelectorAll('img[src="x"]').length,
        scripts: [...document.querySelectorAll('script')].filter((s) => s.textContent?.includes('__xss')).length,
      })), 15_000, `reading ${path}`);
      assert.deepEqual(injected, { flag: undefined, images: 0, scripts: 0 }, `nothing injected runs in ${path}`);
    }
    assert.deepEqual(dialogs, [], 'no dialog was opened');
    await page.close();
  });

  test('survives kill -9 of its FFmpeg: restarts, shows it in status, and the stream plays on', { timeout: 90_000 }, async () => {
    const before = await lab.status();
    assert.equal(before.ffmpeg, 'running');
    assert.ok(before.pid, 'the status names the FFmpeg pid');
    process.kill(before.pid, 'SIGKILL');
    const after = await waitFor('FFmpeg to be restarted', async () => {
      const now = await lab.status();
      return now.restarts >= 1 && now.ffmpeg === 'running' && now.pid !== before.pid ? now : undefined;
    }, 30_000);
    assert.match(after.last_error, /killed by signal 9/);
    const segmentsOf = async () => (await (await fetch(`${lab.baseUrl}/lab/hls/high/index.m3u8`)).text())
      .split('\n').filter((line) => line.endsWith('.m4s'));
    const listed = await segmentsOf();
    await waitFor('new segments after the restart', async () => {
      const now = await segmentsOf();
      return now.at(-1) !== listed.at(-1);
    }, 20_000);
    await timeAdvances(demoPage, 'demo-hls-video', 'the HLS video after the restart');

    const page = await browser.newPage();
    await page.goto(`${lab.baseUrl}/status`);
    await page.getByText(/restart/i).first().waitFor({ timeout: 15_000 }).catch(() => undefined);
    await screenshot(page, 'status-after-restart');
    await page.close();
  });
});

describe('mtrace lab without FFmpeg', () => {
  test('reports ffmpeg missing with a clear error while the API stays up', { timeout: 60_000 }, async () => {
    const lab = await startLab(['--ffmpeg', '/nonexistent/ffmpeg'], { waitForStream: false });
    try {
      const status = await waitFor('status missing', async () => {
        const now = await lab.status();
        return now.ffmpeg === 'missing' ? now : undefined;
      }, 15_000);
      assert.match(status.last_error, /\/nonexistent\/ffmpeg not found/);
      assert.equal((await lab.api('/api/health')).status, 200);
      assert.equal((await lab.api('/api/config')).body.lab, true);
      assert.equal((await fetch(`${lab.baseUrl}/lab/hls/master.m3u8`)).status, 404);
      assert.ok(lab.logs.some((line) => line.includes('/nonexistent/ffmpeg not found')), 'the error is logged');

      const browser = await launchBrowser();
      try {
        const page = await browser.newPage();
        await page.goto(`${lab.baseUrl}/status`);
        await page.getByText('missing').first().waitFor({ timeout: 15_000 });
        await screenshot(page, 'status-ffmpeg-missing');
      } finally {
        await browser.close();
      }
    } finally {
      await lab.stop();
    }
  });
});
