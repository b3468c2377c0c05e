/**
 * A flush's rows sent to Neo4j as lists, not maps. The driver packs every key of a map again with
 * every row (a string encoded to bytes each time, after a chain of type checks per value), so for
 * rows of a dozen short fields the keys were about 40% of packing a flush, paid on the worker's one
 * thread (docs/benchmarks.md item 110). The statements are written with `row.field` as usual;
 * `positional` turns each `row.field` into `row[i]`, in the order the fields first appear, and
 * `asLists` sends each row's fields in that order. A field the statement does not read is not sent.
 */
export interface PositionalStatement {
  /** the statement with `row[i]` for each `row.field` */
  readonly text: string;
  /** the fields, by position */
  readonly columns: readonly string[];
}

const ROW_FIELD = /\brow\.([A-Za-z_][A-Za-z0-9_]*)/g;

export function positional(statement: string): PositionalStatement {
  if (!statement.includes('UNWIND $rows AS row')) throw new Error('a positional statement unwinds $rows AS row');
  const columns: string[] = [];
  const text = statement.replace(ROW_FIELD, (_, field: string) => {
    let at = columns.indexOf(field);
    if (at < 0) at = columns.push(field) - 1;
    return `row[${at}]`;
  });
  return { text, columns };
}

/**
 * A flush statement keeps the plan Neo4j first made for it. Neo4j plans a cached query again once
 * the store's counts drift from those it was planned with, and a graph growing under ingest (or
 * emptied by retention) drifts all the time: after a bulk load and delete, planning and the JIT
 * compiling the planner took most of Neo4j's CPU (docs/benchmarks.md item 128). What a plan made on
 * an empty store could get wrong is bounded: every flush statement finds its rows' nodes by their
 * keys (the schema's unique constraints) and scans nothing, which `test/integration/flush-plans.test.ts`
 * checks on the real Neo4j; a plan made on other counts could still walk between two keyed nodes
 * from the other end.
 */
export const KEEP_PLAN = 'CYPHER replan=skip\n';

/** Each statement's positional form as it is sent, made once. */
const forms = new Map<string, PositionalStatement>();

export function positionalOf(statement: string): PositionalStatement {
  let form = forms.get(statement);
  if (!form) {
    const { text, columns } = positional(statement);
    forms.set(statement, (form = { text: KEEP_PLAN + text, columns }));
  }
  return form;
}

/** Runs an `UNWIND $rows AS row` statement with its rows as lists; `params` go beside `$rows`. */
export function runRows<T>(
  tx: { run(text: string, params: Record<string, unknown>): T },
  statement: string,
  rows: readonly object[],
  params: Record<string, unknown> = {},
): T {
  const { text, columns } = positionalOf(statement);
  return tx.run(text, { rows: asLists(rows, columns), ...params });
}

/** Each row's `columns` in order; a missing field goes as null, as a map without it would read. */
export function asLists(rows: readonly object[], columns: readonly string[]): unknown[][] {
  const lists = new Array<unknown[]>(rows.length);
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r] as Record<string, unknown>;
    const list = new Array<unknown>(columns.length);
    for (let c = 0; c < columns.length; c++) list[c] = row[columns[c]!] ?? null;
    lists[r] = list;
  }
  return lists;
}
