/**
 * Bearer tokens with scopes, shared by both processes. Tokens come from TOPOGRAPH_TOKENS
 * (`name:token:scope+scope,…`); only their SHA-256 digests are kept after start, and a presented
 * token is compared against every digest with timingSafeEqual, so neither the comparison nor the
 * position of a match leaks through timing.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

export const SCOPES = ['ingest', 'read', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

export interface TokenSpec {
  name: string;
  token: string;
  scopes: Scope[];
}

export const MIN_TOKEN_LENGTH = 16;
const NAME = /^[A-Za-z0-9_.-]{1,64}$/;
const TOKEN = /^[\x21-\x7e]+$/;

/** Parses TOPOGRAPH_TOKENS; returns the specs or the problems, never echoing a token back. */
export function parseTokens(text: string): { tokens: TokenSpec[]; problems: string[] } {
  const tokens: TokenSpec[] = [];
  const problems: string[] = [];
  const entries = text
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);
  entries.forEach((entry, i) => {
    const parts = entry.split(':');
    const label = NAME.test(parts[0] ?? '') ? `token "${parts[0]}"` : `entry ${i + 1}`;
    if (parts.length !== 3) {
      problems.push(`${label} must be name:token:scope+scope`);
      return;
    }
    const [name, token, scopeText] = parts as [string, string, string];
    if (!NAME.test(name)) problems.push(`${label}: the name may use letters, digits, _ . - (at most 64)`);
    if (token.length < MIN_TOKEN_LENGTH || !TOKEN.test(token)) {
      problems.push(`${label}: the token must be at least ${MIN_TOKEN_LENGTH} printable characters without spaces`);
    }
    const scopes = scopeText.split('+').map((s) => s.trim());
    const unknown = scopes.filter((s) => !(SCOPES as readonly string[]).includes(s));
    if (unknown.length > 0 || scopes.length === 0) {
      problems.push(`${label}: unknown scope(s) ${unknown.map((s) => `"${s}"`).join(', ')}; use ${SCOPES.join(', ')}`);
    }
    if (tokens.some((t) => t.name === name)) problems.push(`${label} is defined twice`);
    if (tokens.some((t) => t.token === token)) problems.push(`${label} reuses another entry's token`);
    tokens.push({ name, token, scopes: scopes as Scope[] });
  });
  return { tokens, problems };
}

export interface AuthSettings {
  enabled: boolean;
  tokens: TokenSpec[];
}

export type AuthResult =
  { ok: true; name?: string } | { ok: false; status: 401 | 403; message: string; wwwAuthenticate: string };

export interface Authenticator {
  readonly enabled: boolean;
  /** Checks an Authorization header value for a scope. */
  check(authorization: string | null | undefined, scope: Scope): AuthResult;
}

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();
const REALM = 'Bearer realm="topograph"';

export function createAuthenticator(settings: AuthSettings): Authenticator {
  const known = settings.tokens.map((t) => ({ name: t.name, scopes: new Set(t.scopes), digest: digest(t.token) }));
  return {
    enabled: settings.enabled,
    check(authorization, scope) {
      if (!settings.enabled) return { ok: true };
      const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization ?? '');
      if (!m) {
        return { ok: false, status: 401, message: 'a bearer token is required', wwwAuthenticate: REALM };
      }
      const presented = digest(m[1]!);
      let match: (typeof known)[number] | undefined;
      // No early exit: every configured token is compared, whichever matches.
      for (const k of known) if (timingSafeEqual(k.digest, presented)) match = k;
      if (!match) {
        return {
          ok: false,
          status: 401,
          message: 'the bearer token is not valid',
          wwwAuthenticate: `${REALM}, error="invalid_token"`,
        };
      }
      if (!match.scopes.has(scope)) {
        return {
          ok: false,
          status: 403,
          message: `the token "${match.name}" lacks the "${scope}" scope`,
          wwwAuthenticate: `${REALM}, error="insufficient_scope", scope="${scope}"`,
        };
      }
      return { ok: true, name: match.name };
    },
  };
}

/** The line both entry points log at warn level when auth is off. */
export const AUTH_OFF_WARNING =
  'AUTHENTICATION IS OFF: anyone who can reach this port can send or read data. Set TOPOGRAPH_TOKENS (see docs/security.md) before exposing it.';
