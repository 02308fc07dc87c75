// The only way views build DOM. Every string becomes a text node or an attribute value set
// through setAttribute, so data from the server (event names, meta values, ids — all attacker
// controlled) can never become markup or script. Nothing here touches innerHTML.

export type Child = Node | string | number | null | undefined | false | Child[];

type Handler = (event: Event) => void;

export interface Props {
  class?: string;
  on?: Partial<Record<string, Handler>>;
  [attribute: string]: string | number | boolean | null | undefined | Partial<Record<string, Handler>>;
}

const SAFE_URL = /^(?:\/(?!\/)|#|\?|https?:\/\/)/i;

// Attributes whose value the browser may load or navigate to: only relative paths and http(s).
const URL_ATTRIBUTES = new Set(['href', 'src', 'action', 'formaction', 'xlink:href']);

export function safeUrl(url: string): string {
  return SAFE_URL.test(url) ? url : '#';
}

export function h(tag: string, props: Props | null = null, ...children: Child[]): HTMLElement {
  const element = document.createElement(tag);
  if (props) {
    for (const [name, value] of Object.entries(props)) {
      if (name === 'on') {
        for (const [type, handler] of Object.entries(value as Record<string, Handler>)) {
          if (handler) element.addEventListener(type, handler);
        }
        continue;
      }
      if (value === null || value === undefined || value === false) continue;
      if (/^on/i.test(name)) throw new Error(`inline handler attribute ${name} is not allowed`);
      let text = value === true ? '' : String(value);
      if (URL_ATTRIBUTES.has(name.toLowerCase())) text = safeUrl(text);
      element.setAttribute(name, text);
    }
  }
  append(element, children);
  return element;
}

export function append(parent: Node, children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(parent, child);
    else if (child instanceof Node) parent.appendChild(child);
    else parent.appendChild(document.createTextNode(String(child)));
  }
}

export function replaceChildren(parent: Element, ...children: Child[]): void {
  while (parent.firstChild) parent.removeChild(parent.firstChild);
  append(parent, children);
}

// A region announced to screen readers while it loads or fails.
export function loading(text = 'Loading…'): HTMLElement {
  return h('p', { class: 'state loading', role: 'status', 'aria-live': 'polite' }, text);
}

export function empty(text: string): HTMLElement {
  return h('p', { class: 'state empty' }, text);
}

export function errorBox(error: unknown): HTMLElement {
  const message = error instanceof Error ? error.message : String(error);
  return h('p', { class: 'state error', role: 'alert' }, message);
}
