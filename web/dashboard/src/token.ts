// The read token lives in local storage (SPEC §8): asked for once, pre-filled by the lab.

export const TOKEN_KEY = 'mtrace.readToken';

export function readToken(): string | null {
  try {
    return localStorage.getItem(TOKEN_KEY) || null;
  } catch {
    return null; // storage disabled: the form asks on every visit
  }
}

export function storeToken(token: string): void {
  try {
    localStorage.setItem(TOKEN_KEY, token);
  } catch {
    // Storage disabled: nothing to keep.
  }
}

export function clearToken(): void {
  try {
    localStorage.removeItem(TOKEN_KEY);
  } catch {
    // Storage disabled: nothing to clear.
  }
}
