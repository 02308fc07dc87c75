// The server's redaction cases (tests/unit/domain/url_redaction_test.cpp, reference backend.md §5.6):
// the SDK must produce exactly what the server would store.
import { describe, expect, it } from 'vitest';
import { isRedactedUrl, needsRedaction, redactUrl } from '../../src/redact';

const hex32 = '0123456789abcdef0123456789ABCDEF';

describe('redactUrl', () => {
  it.each([
    ['https://cdn.example.com/live/stream/index.m3u8', 'https://cdn.example.com/live/stream/index.m3u8'],
    ['https://cdn.example.com:8443/a/b.mp4', 'https://cdn.example.com:8443/a/b.mp4'],
    ['https://cdn.example.com', 'https://cdn.example.com'],
    ['https://cdn.example.com/', 'https://cdn.example.com/'],
    ['https://cdn.example.com/a//b/', 'https://cdn.example.com/a//b/'],
    ['http://[::1]:8080/x', 'http://[::1]:8080/x'],
    ['HTTPS://Cdn.Example.com/Path', 'https://Cdn.Example.com/Path'],
    ['https://alice:s3cret@cdn.example.com/v.m3u8?token=abc&user=42#t=10', 'https://cdn.example.com/v.m3u8'],
    ['https://cdn.example.com?x=1', 'https://cdn.example.com'],
    ['https://cdn.example.com#frag', 'https://cdn.example.com'],
    ['https://u@cdn.example.com/a#b?c', 'https://cdn.example.com/a'],
    [`https://h/s/${hex32}/seg.ts`, 'https://h/s/:redacted/seg.ts'],
    [`https://h/${hex32}ab`, 'https://h/:redacted'],
    [`https://h/${hex32.slice(0, 30)}`, 'https://h/:redacted'],
    [`https://h/${hex32.slice(0, 22)}`, `https://h/${hex32.slice(0, 22)}`],
    ['https://h/auth/eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig_-x/v.m3u8', 'https://h/auth/:redacted/v.m3u8'],
    ['https://h/a.b.c', 'https://h/:redacted'],
    ['https://h/a.b', 'https://h/a.b'],
    ['https://h/a..c', 'https://h/a..c'],
    ['https://h/a.b.c.d', 'https://h/a.b.c.d'],
    ['https://h/AbCdEfGhIjKlMnOpQrStUvWx/x', 'https://h/:redacted/x'],
    ['https://h/AbCdEfGhIjKlMnOpQrStUvW', 'https://h/AbCdEfGhIjKlMnOpQrStUvW'],
    ['https://h/abcdefghij~~~~~klmnopqrst', 'https://h/:redacted'],
    ['https://h/abcdefghij~~~~~~lmnopqrst', 'https://h/abcdefghij~~~~~~lmnopqrst'],
    ['https://h/abcdefghijklmnopqrst%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9', 'https://h/abcdefghijklmnopqrst%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9'],
    ['https://h/%41bCdEfGhIjKlMnOpQrStUvWx', 'https://h/:redacted'],
    ['https://h/my%20video/a%2Fb', 'https://h/my%20video/a%2Fb'],
    ['https://h/caf%c3%a9', 'https://h/caf%C3%A9'],
    ['https://h/a b', 'https://h/a%20b'],
    ['https://h/ok/%zz/%4/%/end', 'https://h/ok/:redacted/:redacted/:redacted/end'],
  ])('%s → %s', (input, expected) => {
    expect(redactUrl(input)).toBe(expected);
    expect(redactUrl(expected)).toBe(expected);
  });

  it.each([
    'mailto:alice@example.com', 'foo:bar', 'not a url', '://host/x', 'https://', 'https:///path',
    'https://user@/path', 'https://host:80a/x', 'https://ho st/x', 'https://host\n/x', '1http://host/x',
    'see https://host/x?token=1', 'https://[::1/x', 'https://h%zz/x', 'file:///etc/passwd',
    'urn:isbn:0451450523', 'javascript:alert(1)',
  ])('%j is not kept at all', (input) => {
    expect(redactUrl(input)).toBe(':redacted');
  });
});

describe('needsRedaction', () => {
  it('follows URL keys (case-insensitive), schemes and "://"', () => {
    for (const key of ['url', 'URI', 'manifest_url', 'Segment_URL', 'media_url', 'network.url', 'request.url', 'response.URL']) {
      expect(needsRedaction(key, '/relative/path')).toBe(true);
    }
    expect(needsRedaction('note', 'https://h/x')).toBe(true);
    expect(needsRedaction('note', 'see https://h/x')).toBe(true);
    expect(needsRedaction('contact', 'mailto:alice@example.com')).toBe(true);
    expect(needsRedaction('x', 'foo:bar')).toBe(true);
    expect(needsRedaction('url', '')).toBe(false);
    expect(needsRedaction('urls', '/x')).toBe(false);
    expect(needsRedaction('player_name', 'hls.js')).toBe(false);
    expect(needsRedaction('time', '12:30')).toBe(false);
    expect(needsRedaction('x', ':leading colon')).toBe(false);
    expect(needsRedaction('x', 'a b:c')).toBe(false);
  });
});

// The server's is_redacted_url cases (tests/unit/domain/url_redaction_test.cpp): what it accepts
// as `network.redacted_url`; the tracker drops an event carrying anything else.
describe('isRedactedUrl', () => {
  it.each([
    'https://cdn.example.com/live/index.m3u8', 'https://cdn.example.com', 'https://cdn.example.com/s/:redacted/seg.ts',
    'https://cdn.example.com/v/Zm9vYmFyYmF6cXV4cXV1eHh', 'https://[::1]:8443/a/', 'https://cdn.example.com/@user/a%20b',
    'https://h/a.b/c.d.e.f/seg_1.m4s', 'HTTPS://Cdn.Example.com/Path', 'http://h:/x',
  ])('accepts %j', (value) => {
    expect(isRedactedUrl(value)).toBe(true);
  });

  it.each([
    '', ':redacted', 'https://u:p@cdn.example.com/x', 'https://cdn.example.com/x?', 'https://cdn.example.com/x?a=1',
    'https://cdn.example.com/x#f', 'https://cdn.example.com/0123456789abcdef0123456789abcdef', 'https://cdn.example.com/a.b.c',
    'https://cdn.example.com/v/Zm9vYmFyYmF6cXV4cXV1eHh5', 'https://cdn.example.com/%zz', '/relative/path',
    'mailto:alice@example.com', 'https://cdn.example.com?x', 'https://cdn.example.com:8o/x', 'https://cdn.exa\x01mple.com/x',
    'https://cdn.example.com/a\tb', 'https://h/x/%30123456789abcdef0123456789abcdef/y', 'https://h/eyJhbGciOi.eyJzdWIi.SflKxwRJ/seg.ts',
  ])('refuses %j', (value) => {
    expect(isRedactedUrl(value)).toBe(false);
  });

  it('accepts what redactUrl produces', () => {
    for (const value of ['https://a:b@h:1/x/0123456789abcdef0123456789abcdef/y?q#f', 'http://h/a.b.c/%zz/ok',
      'HTTP://h/AbCdEfGhIjKlMnOpQrStUvWx', 'https://h/a%3Fb%23c', 'https://h/a b/ü']) {
      expect(isRedactedUrl(redactUrl(value)), value).toBe(true);
    }
  });
});
