/**
 * What one expired half shares with the others (ingest/late-pairs.ts): nearly all an expiry remembers
 * is the same as another's to the same peer from the same caller operation: the service, the
 * operation, the virtual component, and the credits its expiry made. A template holds that, with
 * `null` where a credit's value is the half's own error, latency or time; the half's key and its
 * figures (error, latency, time, source) give back the rest. The late memory keeps each half as its
 * figures and an interned template, the checkpoint (ingest/spool/late-state.ts) as a record and the
 * template's text.
 */
import { isHexId, TRACE_HEX } from './hex.js';
import type { Half } from './callers.js';
import type { Credit } from './late-pairs.js';

/** The half's fields its figures carry; the rest, and what the key gives back, are left out of its template. */
export interface Template {
  side: 'client' | 'server';
  half: Record<string, unknown>;
  /** the keys when they are not the half's key alone */
  keys?: string[];
  /** credits with `null` where the value is the half's own error, latency or time */
  credits: unknown[];
}

/** What differs from one half to the next of a template. */
export interface Figures {
  error: boolean;
  latencyMs: number;
  at: number;
  source: number;
}

/** Per credit kind, the positions of the error, latency and time the figures carry. */
const VARIABLE: Record<'e' | 'o' | 'c' | 't', [error: number, latency: number, at: number]> = {
  e: [2, 3, 4],
  o: [2, 3, 1],
  c: [2, 3, 4],
  t: [5, -1, -1],
};

/** A credit's kind when it carries the half's own figures (see `VARIABLE`); undefined for any other. */
function variableKind(c: Credit): keyof typeof VARIABLE | undefined {
  if ('e' in c) return 'e';
  if ('c' in c) return 'c';
  if ('o' in c) return 'o';
  if ('t' in c) return 't';
  return undefined;
}

/**
 * The template of a half whose partner finds it by `keys`, or undefined when its first key is not a
 * hex id. Its text (`JSON.stringify`) is what interns it and what a checkpoint writes.
 */
export function templateOf(
  side: Template['side'],
  h: Half,
  keys: readonly string[],
  credits: readonly Credit[],
): Template | undefined {
  const key = keys[0];
  if (key === undefined || !isHexId(key)) return undefined;
  // Named one by one (not a copy less some fields): this runs for every expiry once.
  const half: Record<string, unknown> = {
    name: h.name,
    kind: h.kind,
    service: h.service,
    protocol: h.protocol,
    op: h.op,
    destination: h.destination,
    callee: h.callee,
    calleeOp: h.calleeOp,
    externalCaller: h.externalCaller,
    origin: h.origin,
  };
  const keySpan = key.slice(TRACE_HEX);
  if (h.traceId !== key.slice(0, TRACE_HEX)) half.traceId = h.traceId;
  // A client is found by its own span; a server by its parent, and its own span is not needed again.
  if (side === 'client' && h.spanId !== keySpan) half.spanId = h.spanId;
  let resolved = false;
  const out: unknown[] = [];
  for (const c of credits) {
    const kind = variableKind(c);
    if (kind === undefined) {
      out.push(c);
      continue;
    }
    if (kind === 'c') resolved = true;
    const [e, l, t] = VARIABLE[kind];
    const values = [...(c as Record<string, unknown[]>)[kind]!];
    if (values[e] === h.error) values[e] = null;
    if (l >= 0 && values[l] === h.latencyMs) values[l] = null;
    if (t >= 0 && values[t] === h.at) values[t] = null;
    out.push({ [kind]: values });
  }
  // A client's parent matters only while its call has no caller yet (no `c` credit): then it is kept.
  if (side === 'client' ? !resolved : h.parentSpanId !== keySpan) half.parentSpanId = h.parentSpanId;
  const template: Template = { side, half, credits: out };
  if (keys.length !== 1) template.keys = [...keys];
  return template;
}

/**
 * Whether the template `templateOf` would make of this half has the text of `tpl`, told without
 * making it (a template a half: most of the bytes its expiry allocated, docs/benchmarks.md item 161).
 * `true` means the same text; `false` may still be the same text (`tpl` read from a checkpoint, or
 * a value equal but not the same object), which only costs the caller the slow way.
 */
export function fitsTemplate(
  tpl: Template,
  side: Template['side'],
  h: Half,
  keys: readonly string[],
  credits: readonly Credit[],
): boolean {
  const key = keys[0];
  if (key === undefined || tpl.side !== side || !isHexId(key)) return false;
  if (keys.length === 1 ? tpl.keys !== undefined : !sameList(tpl.keys, keys)) return false;
  if (tpl.credits.length !== credits.length) return false;
  const t = tpl.half;
  if (
    t.name !== h.name ||
    t.kind !== h.kind ||
    t.service !== h.service ||
    t.protocol !== h.protocol ||
    t.op !== h.op ||
    t.destination !== h.destination ||
    t.callee !== h.callee ||
    t.calleeOp !== h.calleeOp ||
    t.externalCaller !== h.externalCaller ||
    t.origin !== h.origin
  )
    return false;
  if (!sameOptional(t, 'traceId', !keyTrace(key, h.traceId), h.traceId)) return false;
  if (!sameOptional(t, 'spanId', side === 'client' && !keySpan(key, h.spanId), h.spanId)) return false;
  let resolved = false;
  for (let i = 0; i < credits.length; i++) {
    const c = credits[i]!;
    const tc = tpl.credits[i] as Record<string, unknown>;
    const kind = variableKind(c);
    if (kind === undefined) {
      if (!sameFields(tc, c as Record<string, unknown>)) return false;
      continue;
    }
    if (kind === 'c') resolved = true;
    const values = (c as Record<string, unknown[]>)[kind]!;
    const kept = tc[kind];
    if (!Array.isArray(kept) || kept.length !== values.length) return false;
    const variable = VARIABLE[kind];
    for (let j = 0; j < values.length; j++) {
      const v = values[j];
      const own =
        (j === variable[0] && v === h.error) ||
        (j === variable[1] && v === h.latencyMs) ||
        (j === variable[2] && v === h.at);
      if (kept[j] !== (own ? null : v)) return false;
    }
  }
  const parent = side === 'client' ? !resolved : !keySpan(key, h.parentSpanId);
  return sameOptional(t, 'parentSpanId', parent, h.parentSpanId);
}

/** Whether `traceId` is the trace part of `key` (compared in place: no slice of the key per half). */
const keyTrace = (key: string, traceId: string) => traceId.length === TRACE_HEX && key.startsWith(traceId);

/** Whether `spanId` is the span part of `key`. */
const keySpan = (key: string, spanId: string) => key.length - TRACE_HEX === spanId.length && key.endsWith(spanId);

/** Whether a field `templateOf` sets only when `present` is there (with `value`) exactly then. */
function sameOptional(t: Record<string, unknown>, field: string, present: boolean, value: string): boolean {
  return present ? t[field] === value : !(field in t);
}

/**
 * Whether two templates `templateOf` made have the same text, without writing it (~1 KB a template:
 * writing and hashing it was most of remembering a half, docs/benchmarks.md item 116). Every value
 * is compared by identity, in the order `templateOf` sets the fields (the same fields come in the
 * same order), so `true` means the same text; `false` may still be the same text (equal objects that
 * are not the same object). The late memory asks `fitsTemplate`, which answers this for a half whose
 * template is not made yet (test/unit/late-template.test.ts holds the two to the same answers).
 */
export function sameTemplate(a: Template, b: Template): boolean {
  if (a.side !== b.side || !sameList(a.keys, b.keys) || a.credits.length !== b.credits.length) return false;
  if (!sameFields(a.half, b.half)) return false;
  for (let i = 0; i < a.credits.length; i++) {
    if (!sameFields(a.credits[i] as Record<string, unknown>, b.credits[i] as Record<string, unknown>)) return false;
  }
  return true;
}

/** The same own fields, each the same value or a list of the same values. */
function sameFields(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  let count = 0;
  for (const k in a) {
    const x = a[k];
    const y = b[k];
    if (x !== y && !(Array.isArray(x) && Array.isArray(y) && sameList(x, y))) return false;
    if (!(k in b)) return false;
    count++;
  }
  for (const _ in b) count--;
  return count === 0;
}

function sameList(a: readonly unknown[] | undefined, b: readonly unknown[] | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The half, its keys and its credits a template and one half's key and figures give back. */
export function fromTemplate(
  tpl: Template,
  key: string,
  f: Figures,
): { side: Template['side']; half: Half; keys: string[]; credits: Credit[] } {
  const keySpan = key.slice(TRACE_HEX);
  const half = {
    traceId: key.slice(0, TRACE_HEX),
    spanId: tpl.side === 'client' ? keySpan : '',
    parentSpanId: tpl.side === 'client' ? '' : keySpan,
    ...tpl.half,
    error: f.error,
    latencyMs: f.latencyMs,
    at: f.at,
    source: f.source,
  } as unknown as Half;
  const credits = tpl.credits.map((c) => {
    const [kind, values] = Object.entries(c as Credit)[0] as [string, unknown];
    if (!Array.isArray(values)) return c as Credit;
    const [e, l, t] = VARIABLE[kind as keyof typeof VARIABLE];
    const filled = [...(values as unknown[])];
    if (filled[e] === null) filled[e] = f.error;
    if (l >= 0 && filled[l] === null) filled[l] = f.latencyMs;
    if (t >= 0 && filled[t] === null) filled[t] = f.at;
    return { [kind]: filled } as Credit;
  });
  return { side: tpl.side, half, keys: tpl.keys ? [...tpl.keys] : [key], credits };
}

/** A template's text (undefined for none): what interns it, and what a checkpoint writes. */
export const textOf = (t: Template | undefined): string | undefined =>
  t === undefined ? undefined : JSON.stringify(t);
