/**
 * Rows of a flush grouped by the node they start from, for statements that expand that node once and
 * find all its relationships of a type in one walk (docs/benchmarks.md item 95): with both ends given,
 * Neo4j's `MERGE (a)-[r]->(b)` walks `a`'s relationships again for every row.
 */

/** The rows as one row per distinct `by`, every field of `columns` as a list in the rows' order; sorted by `by`. */
export function groupedColumns<T, K extends keyof T & string, C extends keyof T & string>(
  rows: readonly T[],
  by: K,
  columns: readonly C[],
): (Record<K, T[K]> & Record<C, T[C][]>)[] {
  const groups = new Map<T[K], Record<string, unknown>>();
  for (const row of rows) {
    let group = groups.get(row[by]);
    if (!group) {
      group = { [by]: row[by] };
      for (const c of columns) group[c] = [];
      groups.set(row[by], group);
    }
    for (const c of columns) (group[c] as unknown[]).push(row[c]);
  }
  const text = (g: Record<string, unknown>) => String(g[by]);
  return [...groups.values()].sort((a, b) => (text(a) < text(b) ? -1 : text(a) > text(b) ? 1 : 0)) as (Record<K, T[K]> &
    Record<C, T[C][]>)[];
}
