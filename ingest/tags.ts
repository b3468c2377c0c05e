/**
 * Which attribute values become Tag nodes: keys on an allow-list (`*` matches any run of characters,
 * so `*.version` takes `service.version` and `client.version`), each key capped in distinct values.
 * Values past a key's cap are counted and recorded under OVERFLOW_VALUE, never stored themselves.
 */
import type { AttrValue, Attributes } from './span.js';

export const OVERFLOW_VALUE = '(other)';
export const MAX_TAG_VALUE_LENGTH = 256;

export interface TagFilterOptions {
  keys: readonly string[];
  maxValuesPerKey: number;
}

export interface TagFilter {
  /** the allow-listed [key, value] pairs of these attributes */
  select(attrs: Attributes): [string, string][];
  readonly overflowed: number;
}

function toPattern(glob: string): RegExp {
  const escaped = glob.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`);
}

function text(v: AttrValue): string | undefined {
  if (v === null) return undefined;
  if (typeof v === 'string') return v.length > MAX_TAG_VALUE_LENGTH ? v.slice(0, MAX_TAG_VALUE_LENGTH) : v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return undefined;
}

export function createTagFilter(options: TagFilterOptions): TagFilter {
  const patterns = options.keys.map(toPattern);
  // Attribute keys repeat endlessly; decide each once (bounded, so hostile keys cannot grow it forever).
  const decided = new Map<string, boolean>();
  const values = new Map<string, Set<string>>();
  let overflowed = 0;

  const allowed = (key: string): boolean => {
    let yes = decided.get(key);
    if (yes === undefined) {
      yes = patterns.some((p) => p.test(key));
      if (decided.size < 10_000) decided.set(key, yes);
    }
    return yes;
  };

  const capped = (key: string, value: string): string => {
    let seen = values.get(key);
    if (!seen) values.set(key, (seen = new Set()));
    if (seen.has(value)) return value;
    if (seen.size >= options.maxValuesPerKey) {
      overflowed++;
      return OVERFLOW_VALUE;
    }
    seen.add(value);
    return value;
  };

  return {
    select(attrs) {
      const out: [string, string][] = [];
      for (const key in attrs) {
        if (!allowed(key)) continue;
        const value = text(attrs[key]!);
        if (value !== undefined) out.push([key, capped(key, value)]);
      }
      return out;
    },
    get overflowed() {
      return overflowed;
    },
  };
}
