/**
 * The plans the flush statements keep (ingest/positional-rows.ts KEEP_PLAN): Neo4j is asked not to
 * plan them again as the store's counts drift. Each statement, as `runRows` sends it, explained by the
 * real Neo4j: it must find its nodes through unique index seeks (the schema's constraints) and never
 * scan a label, a relationship type or the whole store, so that a plan made on an empty store cannot
 * turn into a scan of a full one.
 */
import { describe, expect, it } from 'vitest';
import { KEEP_PLAN, positionalOf } from '../../ingest/positional-rows.js';
import { FLUSH_STATEMENTS } from '../support/flush-statements.js';
import { fileGraph } from '../support/graph.js';

const graph = fileGraph();

interface PlanNode {
  operatorType: string;
  children?: PlanNode[];
}

const operators = (p: PlanNode): string[] => [p.operatorType.split('@')[0]!, ...(p.children ?? []).flatMap(operators)];

/** Operators whose work grows with the store, which a plan made on other counts might pick or drop. */
const SCANS = /Scan/;

describe('the plans flush statements keep', () => {
  it('reach every node through a unique index seek, scanning nothing, in every flush statement', async () => {
    expect(Object.keys(FLUSH_STATEMENTS).length).toBeGreaterThan(20);
    for (const [name, statement] of Object.entries(FLUSH_STATEMENTS)) {
      const { text } = positionalOf(statement);
      expect(text.startsWith(KEEP_PLAN), name).toBe(true);
      const params = Object.fromEntries([...text.matchAll(/\$(\w+)/g)].map(([, p]) => [p, p === 'rows' ? [] : null]));
      const plan = await graph.write('test', async (tx) => (await tx.run(`EXPLAIN ${text}`, params)).summary.plan);
      const ops = operators(plan as PlanNode);
      expect(
        ops.filter((op) => SCANS.test(op)),
        name,
      ).toEqual([]);
      expect(ops, name).toContain('NodeUniqueIndexSeek(Locking)');
    }
  });
});
