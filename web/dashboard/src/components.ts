// Small building blocks shared by the views. All text goes through h(), so it is escaped.

import { h, type Child } from './dom';
import { formatValue, formatWhen, isoTitle } from './format';
import { sessionPath } from './router';

export function statePill(state: string | undefined): HTMLElement {
  const known = ['active', 'stalled', 'ended'].includes(state ?? '') ? state : 'unknown';
  return h('span', { class: `pill pill-${known}` }, state || 'unknown');
}

export function tile(label: string, value: Child, options: { testid?: string; hint?: string } = {}): HTMLElement {
  return h('div', { class: 'tile' },
    h('div', { class: 'tile-label' }, label),
    h('div', { class: 'tile-value', 'data-testid': options.testid }, value),
    options.hint ? h('div', { class: 'tile-hint' }, options.hint) : null);
}

// A <time> for lists: local, with the UTC instant as tooltip.
export function time(iso: string | undefined): HTMLElement {
  return h('time', { datetime: iso, title: isoTitle(iso) }, formatWhen(iso));
}

export function sessionLink(id: string, testid?: string, projectId?: string): HTMLElement {
  return h('a', { href: sessionPath(id, projectId), class: 'mono', 'data-testid': testid }, id);
}

// A table with a caption for screen readers. A header given as [name, true] marks a column that
// narrow screens hide; its cells carry the class wide-only too.
export function table(caption: string, headers: (string | [string, boolean])[], rows: HTMLElement[]): HTMLElement {
  return h('div', { class: 'table-wrap' },
    h('table', null,
      h('caption', { class: 'visually-hidden' }, caption),
      h('thead', null, h('tr', null, headers.map((header) => {
        const [name, wideOnly] = typeof header === 'string' ? [header, false] : header;
        return h('th', { scope: 'col', class: wideOnly ? 'wide-only' : undefined }, name);
      }))),
      h('tbody', null, rows)));
}

// Key/value pairs as a definition list; values of any JSON type are shown as text.
export function keyValues(entries: [string, unknown][], testid?: string): HTMLElement {
  return h('dl', { class: 'kv', 'data-testid': testid },
    entries.map(([key, value]) => [h('dt', null, key), h('dd', null, value instanceof Node ? value : formatValue(value))]));
}

export function section(title: string, ...children: Child[]): HTMLElement {
  return h('section', { class: 'panel', 'aria-label': title }, h('h2', null, title), ...children);
}

export function button(label: string, onClick: () => void, props: Record<string, string | undefined> = {}): HTMLElement {
  return h('button', { type: 'button', ...props, on: { click: onClick } }, label);
}
