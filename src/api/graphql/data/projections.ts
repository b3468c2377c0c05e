/**
 * What the API reads of each node and edge: each Cypher map projection written once, beside the
 * TypeScript row it produces. The field lists are checked against the row types, so a field added to
 * one cannot be forgotten in the other.
 */
import type { ComponentFacts } from '../../../core/records.js';

export interface ComponentRecord extends ComponentFacts {
  kind: string;
}

export interface MeasureRecord {
  calls: number;
  errors: number;
  latSum: number;
  latMax: number;
  latBuckets: number[];
  hm: number[];
  hmCalls: number[];
  hmErrors: number[];
  hmLatSum: number[];
  hh: number[];
  hhCalls: number[];
  hhErrors: number[];
  hhLatSum: number[];
  /** the minute still being counted, apart from the ring lists (null before the first call; see ingest/current-minute.ts) */
  hmCur?: number | null;
  /** the totals at the start of `hmCur`: its figures are the totals less these */
  hmStartCalls?: number | null;
  hmStartErrors?: number | null;
  hmStartLatSum?: number | null;
  /** `hmCur`'s own figures, as written before the start was kept (read when there is no start) */
  hmCurCalls?: number | null;
  hmCurErrors?: number | null;
  hmCurLatSum?: number | null;
  firstSeen: number;
  lastSeen: number;
}

export interface OperationRecord extends MeasureRecord {
  key: string;
  componentKey: string;
  name: string;
  kind: string;
  entryPoint: boolean;
  entryCalls: number;
}

/** A list of T's keys that names every one of them: a compile error otherwise. */
type EveryKey<T, L extends readonly (keyof T)[]> = [Exclude<keyof T, L[number]>] extends [never] ? L : never;
const everyKey =
  <T>() =>
  <const L extends readonly (keyof T)[]>(list: EveryKey<T, L>) =>
    list;

const project = (v: string, fields: readonly string[]) => `${v} { ${fields.map((f) => `.${f}`).join(', ')} }`;

const COMPONENT_FIELDS = everyKey<ComponentRecord>()([
  'key',
  'kind',
  'name',
  'environment',
  'namespace',
  'system',
  'address',
  'version',
  'firstSeen',
  'lastSeen',
]);

/** The Component projection: a whole ComponentRecord from the node bound to `v`. */
export const componentProjection = (v: string) => project(v, COMPONENT_FIELDS);

/** Only what a component is called: for answers that ask no more of it (see NAMED in look-ahead.ts). */
export const namedComponentProjection = (v: string) => project(v, ['key', 'kind', 'name']);

/** A whole OperationRecord from the node bound to `v` (operations written before entry points existed lack them). */
export const operationProjection = (v: string) =>
  `${v} { .*, entryPoint: coalesce(${v}.entryPoint, false), entryCalls: coalesce(${v}.entryCalls, 0) }`;

/**
 * Operations without their histogram and health rings, for selections that ask only for names,
 * kinds, counts and times (the other fields are present, as in operationProjection, minus the rings).
 */
export const OPERATION_SUMMARY = `o { .key, .componentKey, .name, .kind, .calls, .errors, .firstSeen, .lastSeen,
  entryPoint: coalesce(o.entryPoint, false), entryCalls: coalesce(o.entryCalls, 0) }`;

const EDGE_FIELDS = everyKey<MeasureRecord>()([
  'calls',
  'errors',
  'latSum',
  'latMax',
  'latBuckets',
  'hm',
  'hmCalls',
  'hmErrors',
  'hmLatSum',
  'hh',
  'hhCalls',
  'hhErrors',
  'hhLatSum',
  'hmCur',
  'hmStartCalls',
  'hmStartErrors',
  'hmStartLatSum',
  'hmCurCalls',
  'hmCurErrors',
  'hmCurLatSum',
  'firstSeen',
  'lastSeen',
]);

/** A DEPENDS_ON edge's whole measure (histogram and rings) from the relationship bound to `r`. */
export const EDGE = project('r', EDGE_FIELDS);

/** A CALLS edge's whole measure and the few recent trace ids that took it. */
export const CALL_EDGE = project('r', [...EDGE_FIELDS, 'exemplars']);

/** Only an edge's counts and times: a deep walk reaches thousands of edges, and their rings cost more than the walk. */
export const EDGE_SUMMARY = project('r', ['calls', 'errors', 'firstSeen', 'lastSeen']);
