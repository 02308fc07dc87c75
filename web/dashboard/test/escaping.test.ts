// Event names, meta values and ids come from players, i.e. from anyone: they must render as text.
import { afterEach, describe, expect, it } from 'vitest';
import { h } from '../src/dom';
import { eventsView } from '../src/views/events';
import { sessionDetailView } from '../src/views/session-detail';
import { sessionsView } from '../src/views/sessions';
import { json, makeContext, settle } from './helpers';

const SCRIPT = '<script>window.__pwned = 1</script>';
const IMG = '"><img src=x onerror="window.__pwned=1">';

const evilSession = {
  session_id: IMG,
  project_id: SCRIPT,
  state: '<b>active</b>',
  started_at: '2026-05-01T12:00:00Z',
  last_event_at: '2026-05-01T12:01:00Z',
  correlation_id: SCRIPT,
  trace_id: IMG,
  last_error_code: IMG,
  error_count: 1,
  event_count: 2,
  dimensions: { content_id: SCRIPT, content_title: IMG, player_name: SCRIPT, player_version: IMG },
  network_signal_absent: [{ kind: SCRIPT, adapter: IMG, reason: SCRIPT }],
  analyses: [{ playlistType: SCRIPT, input: { url: IMG }, findings: [{ code: IMG, level: SCRIPT, message: SCRIPT }] }],
};

const evilEvents = [
  { event_name: SCRIPT, project_id: 'demo', session_id: IMG, server_received_at: '2026-05-01T12:00:01Z', ingest_sequence: 1, meta: { [IMG]: SCRIPT, note: IMG } },
  { event_name: 'playback_error', project_id: 'demo', session_id: IMG, server_received_at: '2026-05-01T12:00:02Z', ingest_sequence: 2, meta: { fatal: true, error_type: SCRIPT, error_details: IMG, error_code: IMG } },
];

function assertInert(root: HTMLElement): void {
  expect(root.querySelectorAll('script, img, b').length).toBe(0);
  for (const element of root.querySelectorAll('*')) {
    for (const attribute of element.getAttributeNames()) expect(attribute.startsWith('on'), `${attribute} on ${element.tagName}`).toBe(false);
  }
  expect((window as unknown as { __pwned?: number }).__pwned).toBeUndefined();
}

let root: HTMLElement;
afterEach(() => root?.remove());

function mount(): HTMLElement {
  root = document.createElement('div');
  document.body.appendChild(root);
  return root;
}

describe('attacker-controlled values render as text', () => {
  it('in the sessions list, also when pushed live', async () => {
    const { context, live } = makeContext(() => json({ sessions: [evilSession] }), '/sessions');
    const cleanup = sessionsView(mount(), context);
    await settle();
    const row = root.querySelector('[data-testid="session-row"]')!;
    expect(row.getAttribute('data-session-id')).toBe(IMG);
    expect(row.textContent).toContain(SCRIPT);
    expect(row.textContent).toContain(IMG);
    live.dispatch({ event: 'session_updated', data: JSON.stringify({ ...evilSession, session_id: SCRIPT }) });
    expect(root.querySelectorAll('[data-testid="session-row"]').length).toBe(2);
    assertInert(root);
    // The link keeps the id inside one path segment, and the project inside its query value.
    const link = row.querySelector('a')!;
    expect(link.getAttribute('href')).toBe(`/sessions/${encodeURIComponent(IMG)}?project_id=${encodeURIComponent(SCRIPT)}`);
    expect(new URL(link.getAttribute('href')!, 'http://x').searchParams.get('project_id')).toBe(SCRIPT);
    cleanup?.();
  });

  it('in the session detail: ids, meta, event names, boundaries and analyses', async () => {
    const { context } = makeContext(() => json({ session: evilSession, events: evilEvents }), `/sessions/${encodeURIComponent(IMG)}`);
    const cleanup = sessionDetailView(mount(), context);
    await settle(30);
    const items = root.querySelectorAll('[data-testid="timeline-event"]');
    expect(items.length).toBe(2);
    expect(items[0].getAttribute('data-event-name')).toBe(SCRIPT);
    expect(items[0].textContent).toContain(SCRIPT);
    expect(root.querySelector('[data-testid="session-id"]')!.textContent).toBe(IMG);
    expect(root.querySelector('[data-testid="correlation-id"]')!.textContent).toBe(SCRIPT);
    expect(root.querySelector('[data-testid="trace-id"]')!.textContent).toBe(IMG);
    expect(root.textContent).toContain(`${SCRIPT} · ${IMG} · ${IMG}`);
    const metaKeys = [...items[0].querySelectorAll('dt')].map((dt) => dt.textContent);
    expect(metaKeys).toContain(IMG);
    assertInert(root);
    cleanup?.();
  });

  it('in the events and errors tables', async () => {
    const { context } = makeContext(() => json({ events: evilEvents }), '/errors');
    const cleanup = eventsView(mount(), context, 'errors');
    await settle();
    const rows = root.querySelectorAll('[data-testid="error-row"]');
    expect(rows.length).toBe(2);
    expect(rows[0].textContent).toContain(SCRIPT);
    expect(rows[1].textContent).toContain(IMG);
    assertInert(root);
    cleanup();
  });

  it('h() refuses inline handlers and neutralizes script URLs', () => {
    expect(() => h('a', { onclick: 'alert(1)' })).toThrow();
    expect(h('a', { href: 'javascript:alert(1)' }).getAttribute('href')).toBe('#');
    expect(h('a', { href: ' JAVASCRIPT:alert(1)' }).getAttribute('href')).toBe('#');
    expect(h('a', { href: '//evil.example/x' }).getAttribute('href')).toBe('#');
    expect(h('a', { href: '/sessions/x' }).getAttribute('href')).toBe('/sessions/x');
    expect(h('p', null, SCRIPT).childNodes[0].nodeType).toBe(Node.TEXT_NODE);
  });
});
