import { describe, expect, it } from 'vitest';
import { createTagFilter, hashTagValue } from '../../ingest/tags.js';
import { createAuthenticator, parseTokens } from '../../src/core/auth.js';
import { ConfigError, defaultConfig, loadConfig } from '../../src/core/config.js';

const T = 'a'.repeat(20);

describe('tokens', () => {
  it('parses name:token:scopes and reports bad entries without echoing tokens', () => {
    expect(parseTokens(`ci:${T}:ingest+read`).tokens).toEqual([{ name: 'ci', token: T, scopes: ['ingest', 'read'] }]);
    const bad = parseTokens('x:short:read,y:bbbbbbbbbbbbbbbbbbbb:write,z');
    expect(bad.problems).toHaveLength(3);
    expect(bad.problems.join()).not.toContain('bbbbbbbbbbbbbbbbbbbb');
  });

  it('401 missing or unknown, 403 wrong scope, ok otherwise', () => {
    const auth = createAuthenticator({ enabled: true, tokens: [{ name: 'r', token: T, scopes: ['read'] }] });
    expect(auth.check(undefined, 'read')).toMatchObject({ ok: false, status: 401 });
    expect(auth.check(`Basic ${T}`, 'read')).toMatchObject({ ok: false, status: 401 });
    expect(auth.check(`Bearer ${T}b`, 'read')).toMatchObject({ ok: false, status: 401 });
    expect(auth.check(`Bearer ${T}`, 'admin')).toMatchObject({ ok: false, status: 403 });
    expect(auth.check(`bearer ${T}`, 'read')).toEqual({ ok: true, name: 'r' });
  });

  it('auth defaults: on with tokens, off on loopback without, refused on an open host without', () => {
    expect(defaultConfig().auth.enabled).toBe(false);
    expect(loadConfig({ TOPOGRAPH_TOKENS: `a:${T}:read` }).auth.enabled).toBe(true);
    expect(() => loadConfig({ TOPOGRAPH_HOST: '0.0.0.0' })).toThrow(ConfigError);
    expect(loadConfig({ TOPOGRAPH_HOST: '0.0.0.0', TOPOGRAPH_AUTH: 'off' }).auth.enabled).toBe(false);
    expect(() => loadConfig({ TOPOGRAPH_AUTH: 'on' })).toThrow(/needs TOPOGRAPH_TOKENS/);
    expect(() => loadConfig({ TOPOGRAPH_TAG_RULES: 'customer.id:hash' })).toThrow(/TOPOGRAPH_TAG_HASH_SECRET/);
    expect(() => loadConfig({ TOPOGRAPH_TAG_RULES: 'customer.id:encrypt' })).toThrow(ConfigError);
  });
});

describe('tag rules', () => {
  it('drops, hashes with HMAC and keeps, first matching rule winning', () => {
    const filter = createTagFilter({
      keys: ['customer.id', 'user.*', 'client.version'],
      maxValuesPerKey: 10,
      rules: [
        { key: 'user.email', action: 'drop' },
        { key: 'user.*', action: 'hash' },
        { key: 'customer.id', action: 'hash' },
      ],
      hashSecret: 'a-secret-of-16-chars',
    });
    const out = Object.fromEntries(
      filter.select({ 'customer.id': 'c-1', 'user.email': 'a@b.c', 'user.id': 'u1', 'client.version': '1.0' }),
    );
    expect(out).toEqual({
      'customer.id': hashTagValue('a-secret-of-16-chars', 'c-1'),
      'user.id': hashTagValue('a-secret-of-16-chars', 'u1'),
      'client.version': '1.0',
    });
    expect(out['customer.id']).toMatch(/^hmac:[0-9a-f]{16}$/);
    expect(hashTagValue('another-secret-16chars', 'c-1')).not.toBe(out['customer.id']);
  });
});
