/**
 * Per-key rules for personal data in tag values (TOPOGRAPH_TAG_RULES): keep a tag, drop it, or
 * replace its value with a keyed hash. The worker applies them (ingest/tags.ts); the configuration
 * parses them.
 */

export type TagAction = 'keep' | 'drop' | 'hash';
const ACTIONS: readonly string[] = ['keep', 'drop', 'hash'] satisfies TagAction[];

export interface TagRule {
  /** an attribute key, `*` matching any run of characters as in TOPOGRAPH_TAG_KEYS */
  key: string;
  action: TagAction;
}

/** Parses `key:action,…`; the rules it could read and a problem for each entry it could not. */
export function parseTagRules(text: string): { rules: TagRule[]; problems: string[] } {
  const rules: TagRule[] = [];
  const problems: string[] = [];
  for (const entry of text
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)) {
    const at = entry.lastIndexOf(':');
    const key = entry.slice(0, at).trim();
    const action = entry.slice(at + 1).trim();
    if (at <= 0 || !key || !ACTIONS.includes(action)) {
      problems.push(`"${entry}" is not key:keep, key:drop or key:hash`);
      continue;
    }
    rules.push({ key, action: action as TagAction });
  }
  return { rules, problems };
}
