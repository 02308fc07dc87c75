import { h } from '../dom';

// Asks for the read token. `problem` says why (a refused token); `suggested` is the lab's demo token.
// `onCancel`, when given, keeps the current token.
export function tokenForm(
  problem: string, suggested: string | undefined, onToken: (token: string) => void, onCancel?: () => void,
): HTMLElement {
  const input = h('input', {
    id: 'token-input',
    name: 'token',
    type: 'password',
    autocomplete: 'off',
    required: true,
    'data-testid': 'token-input',
    value: suggested ?? '',
  }) as HTMLInputElement;
  const form = h('form', {
    class: 'panel token-form',
    'data-testid': 'token-form',
    on: {
      submit: (event) => {
        event.preventDefault();
        const token = input.value.trim();
        if (token) onToken(token);
      },
    },
  },
  h('h1', null, 'Read token'),
  h('p', null, 'The dashboard reads through the API with a project read token. It is kept in this browser only.'),
  problem ? h('p', { class: 'state error', role: 'alert' }, problem) : null,
  h('label', { for: 'token-input' }, 'Read token'),
  h('div', { class: 'row' }, input, h('button', { type: 'submit', class: 'primary' }, 'Save'),
    onCancel ? h('button', { type: 'button', on: { click: onCancel } }, 'Cancel') : null));
  queueMicrotask(() => input.focus());
  return form;
}
