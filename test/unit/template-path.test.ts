/**
 * Operation names from URLs: the path found without parsing a plain http(s) URL must be the one the
 * URL parser gives, and templating must give what it always gave, segment by segment.
 */
import { describe, expect, it } from 'vitest';
import { isIdSegment, simpleHttpPath, templatePath } from '../../ingest/semconv.js';

const urls = [
  'http://svc/users/123',
  'https://api.example.com/v2/items?limit=10#top',
  'HTTP://Svc.Local./a/b/',
  'http://svc',
  'http://svc?x=1',
  'http://svc#f',
  'http://db1-run/x/(y)/z;p=1/a:b@c/%41/~u/!$&*+,=',
  // the parser changes or refuses these: they must not take the shortcut, or give what it gives
  'http://svc/a/../b',
  'http://svc/a/./b',
  'http://svc/a/%2e%2E/b',
  'http://svc/a/.%2e',
  'http://svc/{id}/x',
  'http://svc/a b',
  'http://svc/a\\b',
  'http://svc/é',
  'http://svc/a^b|c`d"e<f>',
  'http://127.0.0.1/x',
  'http://1.2.3.256/x',
  'http://0x7f.1/x',
  'http://host.123/x',
  'http://svc:8080/x',
  'http://svc:99999/x',
  'http://user@svc/x',
  'http://xn--zz/x',
  'http://a.xn--nxasmq6b/x',
  'http://exa mple.com/x',
  'http:///x',
  'http://a..b/x',
  'http://[::1]/x',
  'https://a_b.c-d/x/y?z',
  'ftp://svc/a',
  'grpc://svc/pkg.Service/Method',
  'http://svc/a\tb',
  'http://svc/a%zz',
];

/** What the parser says, or undefined when it refuses the URL. */
function parsed(url: string): string | undefined {
  try {
    return new URL(url).pathname;
  } catch {
    return undefined;
  }
}

describe('URL paths without the URL parser', () => {
  it('gives the parser’s path whenever it gives one', () => {
    for (const url of urls) {
      const simple = simpleHttpPath(url);
      if (simple !== undefined) expect([url, simple]).toEqual([url, parsed(url)]);
    }
    expect(urls.filter((u) => simpleHttpPath(u) !== undefined).length).toBeGreaterThanOrEqual(7);
  });

  it('agrees with the parser on random http URLs', () => {
    let seed = 7;
    const rand = (n: number) => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % n;
    const alphabet = 'aZ09.-_/%2eExn:@?#[]{} \\é~!$&\'()*+,;=^|`"<>\t';
    let shortcut = 0;
    for (let i = 0; i < 20_000; i++) {
      let tail = '';
      for (let k = rand(24); k > 0; k--) tail += alphabet[rand(alphabet.length)];
      const url = `http${rand(2) ? 's' : ''}://${tail}`;
      const simple = simpleHttpPath(url);
      if (simple === undefined) continue;
      shortcut++;
      expect([url, simple]).toEqual([url, parsed(url)]);
    }
    expect(shortcut).toBeGreaterThan(100);
  });

  it('templates id-like segments as the split-and-join it replaces did', () => {
    const byParts = (p: string) =>
      p
        .split('/')
        .map((seg) =>
          seg !== '' && /^(\d+|[0-9a-f]{12,}|[A-Za-z0-9_-]{20,}|.*\d.*\d.*\d.*)$/i.test(seg) ? '{id}' : seg,
        )
        .join('/');
    for (const p of [
      '/users/123/orders/9',
      '/a//b/',
      '',
      '/',
      '123',
      'x/123',
      '/v2/items',
      '/a/deadbeefdeadbeef/b1c2d3',
    ]) {
      expect([p, templatePath(p)]).toEqual([p, byParts(p)]);
    }
    expect(templatePath('http://svc/users/123?q=1')).toBe('/users/{id}');
    expect(templatePath('http://svc:99999/users/123')).toBe('http://{id}/users/{id}');
    expect(templatePath('/orders/550e8400-e29b-41d4-a716-446655440000#x')).toBe('/orders/{id}');
  });

  it('calls a segment an id exactly when the expression it replaces did', () => {
    const ID =
      /^(\d+|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{12,}|[A-Za-z0-9_-]{20,}|.*\d.*\d.*\d.*)$/i;
    let seed = 11;
    // The generator's high bits: its low bits repeat in short cycles, which would tie length to alphabet.
    const rand = (n: number) => Math.floor(((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32) * n);
    // Digits, hex and other letters in both cases, word and other punctuation, line breaks, non-ASCII.
    const alphabet = '0123456789abcdefABCDEFgzGZ_-.~@[`{\n\r\u2028\u2029é\u212a';
    const seen = { id: 0, not: 0 };
    for (let i = 0; i < 50_000; i++) {
      let seg = '';
      // Each segment drawn from one part of the alphabet: digits and hex, hex letters, word letters, all.
      const [start, size] = (
        [
          [0, 16],
          [10, 12],
          [10, 18],
          [0, alphabet.length],
        ] as const
      )[rand(4)]!;
      for (let k = rand(40); k > 0; k--) seg += alphabet[start + rand(size)];
      const padded = `/x/${seg}/y`;
      const expected = seg !== '' && ID.test(seg);
      expect([seg, isIdSegment(padded, 3, 3 + seg.length)]).toEqual([seg, expected]);
      seen[expected ? 'id' : 'not']++;
    }
    expect(seen.id).toBeGreaterThan(1000);
    expect(seen.not).toBeGreaterThan(1000);
    expect(isIdSegment('550e8400-e29b-41d4-a716-446655440000', 0, 36)).toBe(true);
    expect(isIdSegment('abcdefab-abcd-abcd-abcd-abcdefabcdef', 0, 36)).toBe(true);
    expect(isIdSegment('checkout', 0, 8)).toBe(false);
    expect(isIdSegment('v2', 0, 2)).toBe(false);
  });
});
