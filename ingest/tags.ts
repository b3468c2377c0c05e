/**
 * Which attribute values become Tag nodes: keys on an allow-list (`*` matches any run of characters,
 * so `*.version` takes `service.version` and `client.version`), each key capped in distinct values.
 * Values past a key's cap are counted and recorded under OVERFLOW_VALUE, never stored themselves.
 *
 * Tag values can be personal data, so a rule per key (TOPOGRAPH_TAG_RULES) may drop the tag or
 * replace its value with a keyed hash before anything else sees it: HMAC-SHA256 with a secret,
 * so the same customer still groups together but nobody without the secret can test a guess.
 */
import { createHmac } from 'node:crypto';
import type { TagRule } from '../src/core/tag-rules.js';
import type { AttrValue, Attributes } from './span.js';

export const OVERFLOW_VALUE = '(other)';
export const MAX_TAG_VALUE_LENGTH = 256;
/** Hex digits kept of a hashed value: 64 bits, plenty to keep distinct values apart at a tag's cap. */
export const HASH_HEX_DIGITS = 16;
export const HASH_PREFIX = 'hmac:';

export interface TagFilterOptions {
  keys: readonly string[];
  maxValuesPerKey: number;
  /** per-key drop/hash/keep, first match wins; keys without a rule are kept */
  rules?: readonly TagRule[];
  /** the HMAC key for `hash` rules (config refuses hash rules without one) */
  hashSecret?: string;
}

/** `hmac:` + the first 16 hex digits of HMAC-SHA256(secret, value). */
export function hashTagValue(secret: string, value: string): string {
  return HASH_PREFIX + createHmac('sha256', secret).update(value, 'utf8').digest('hex').slice(0, HASH_HEX_DIGITS);
}

/** allow-listed [key, value] pairs, shared: read them, never change them */
export type TagPairs = readonly (readonly [string, string])[];

export interface TagFilter {
  /**
   * The allow-listed pairs of these attributes: one pair per key and value kept with the cap, and one
   * list per run of pairs (the same pairs in the same order are the same list; one empty list for
   * none). It runs for every span and resource: no array is made per span, and the aggregator counts
   * a span's tags under its list at once (ingest/aggregate.ts `countTags`).
   */
  select(attrs: Attributes): TagPairs;
  /** Counts `n` values past the cap again: those of a selection kept and used again (a shared resource's). */
  overflowAgain(n: number): void;
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

/** Whether a key is on the allow-list `keys` (globs as in TOPOGRAPH_TAG_KEYS). */
export function tagKeyMatcher(keys: readonly string[]): (key: string) => boolean {
  const patterns = keys.map(toPattern);
  return (key) => patterns.some((p) => p.test(key));
}

const NO_TAGS: TagPairs = Object.freeze([]);

/**
 * Trie nodes `select` keeps (each a run of pairs; those a span ended on hold their list), past which
 * it starts a new trie: a node is an object and a Map entry, and a list one array of its pairs, ~100–250
 * bytes and 8 a pair, so a few MB at the bound. Lists come back span after span (a route and a tenant
 * or two). Values that vary together (customer ids across routes) can pass the bound: the trie then
 * starts anew every 20,000 nodes, a span on a new list costs a node per pair and one array (the old
 * way made that array for every span), and a list made again is counted apart from its earlier copy
 * until the aggregator adds them up at the flush.
 */
export const MAX_TAG_LISTS = 20_000;

/** A run of pairs `select` walked, its list once a span ended on it, and the runs one pair longer. */
interface ListNode {
  pairs: TagPairs | undefined;
  next: Map<readonly [string, string], ListNode> | undefined;
}

const newNode = (): ListNode => ({ pairs: undefined, next: undefined });

export function createTagFilter(options: TagFilterOptions): TagFilter {
  const onList = tagKeyMatcher(options.keys);
  const rules = (options.rules ?? []).map((r) => ({ pattern: toPattern(r.key), action: r.action }));
  if (rules.some((r) => r.action === 'hash') && !options.hashSecret) throw new Error('hash tag rules need a secret');
  const actions = new Map<string, TagRule['action']>();
  const actionFor = (key: string): TagRule['action'] => {
    let action = actions.get(key);
    if (action === undefined) {
      action = rules.find((r) => r.pattern.test(key))?.action ?? 'keep';
      if (actions.size < 10_000) actions.set(key, action);
    }
    return action;
  };
  // Attribute keys repeat endlessly; decide each once (bounded, so hostile keys cannot grow it forever).
  const decided = new Map<string, boolean>();
  // Each key's pairs by value, at most `maxValuesPerKey` of them, and the key's overflow pair.
  const values = new Map<string, Map<string, readonly [string, string]>>();
  const overflowPairs = new Map<string, readonly [string, string]>();
  let overflowed = 0;
  let root = newNode();
  let nodes = 0;
  /** the pairs of the span being selected: copied only when they make a new list */
  const walked: (readonly [string, string])[] = [];

  const allowed = (key: string): boolean => {
    let yes = decided.get(key);
    if (yes === undefined) {
      yes = onList(key);
      if (decided.size < 10_000) decided.set(key, yes);
    }
    return yes;
  };

  const pair = (key: string, value: string): readonly [string, string] => {
    let seen = values.get(key);
    if (!seen) values.set(key, (seen = new Map()));
    let kv = seen.get(value);
    if (kv) return kv;
    if (seen.size >= options.maxValuesPerKey) {
      overflowed++;
      kv = overflowPairs.get(key);
      if (!kv) overflowPairs.set(key, (kv = [key, OVERFLOW_VALUE]));
      return kv;
    }
    seen.set(value, (kv = [key, value]));
    return kv;
  };

  return {
    select(attrs) {
      if (nodes >= MAX_TAG_LISTS) {
        root = newNode();
        nodes = 0;
      }
      let node = root;
      let n = 0;
      for (const key in attrs) {
        if (!allowed(key)) continue;
        const action = actionFor(key);
        if (action === 'drop') continue;
        let value = text(attrs[key]!);
        if (value === undefined) continue;
        if (action === 'hash') value = hashTagValue(options.hashSecret!, value);
        const kv = pair(key, value);
        walked[n++] = kv;
        let next = node.next?.get(kv);
        if (next === undefined) {
          next = newNode();
          (node.next ??= new Map()).set(kv, next);
          nodes++;
        }
        node = next;
      }
      if (n === 0) return NO_TAGS;
      return (node.pairs ??= Object.freeze(walked.slice(0, n)));
    },
    overflowAgain(n) {
      overflowed += n;
    },
    get overflowed() {
      return overflowed;
    },
  };
}
