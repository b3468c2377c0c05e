/**
 * A Graph that tells about every statement it sends (a walk's levels inside one transaction
 * included) and every transaction, so tests and benchmarks can count round trips. Nothing else changes:
 * the statements go to the real Neo4j.
 */
import type { Graph, TxOptions } from '../../src/core/neo4j/connection.js';

export interface GraphWatcher {
  /** one statement, about to be sent */
  statement?(cypher: string): void;
  /** one transaction (managed, or an auto-commit read), about to begin */
  transaction?(opts: TxOptions | undefined): void;
}

export function countingGraph(graph: Graph, watch: GraphWatcher): Graph {
  return {
    ...graph,
    read: (app, work, opts) => {
      watch.transaction?.(opts);
      return graph.read(
        app,
        (tx) =>
          work({
            run: (...args: Parameters<typeof tx.run>) => {
              watch.statement?.(String(args[0]));
              return tx.run(...args);
            },
          } as typeof tx),
        opts,
      );
    },
    query: (app, cypher, params, opts) => {
      watch.transaction?.(opts);
      watch.statement?.(cypher);
      return graph.query(app, cypher, params, opts);
    },
  };
}
