/**
 * A Graph that writes down every read the API sends (each transaction with its metadata, its
 * statements and their parameters) and sends it on to the real Neo4j unchanged: the statements a
 * GraphQL query produces can be pinned, and are known to run.
 */
import neo4j from 'neo4j-driver';
import type { Graph } from '../../src/core/neo4j/connection.js';

export interface RecordedRead {
  /** the transaction's metadata (`op` names the question) */
  metadata: Record<string, unknown>;
  /** auto-commit (one statement) or a managed read transaction */
  kind: 'statement' | 'transaction';
  statements: { cypher: string; params: Record<string, unknown> }[];
}

export function recordingGraph(graph: Graph): { graph: Graph; reads: RecordedRead[] } {
  const reads: RecordedRead[] = [];
  return {
    reads,
    graph: {
      ...graph,
      read: (app, work, opts) => {
        const read: RecordedRead = { metadata: opts?.metadata ?? {}, kind: 'transaction', statements: [] };
        reads.push(read);
        return graph.read(
          app,
          (tx) => {
            // A retried transaction runs its work again: keep the statements of the last attempt.
            read.statements = [];
            return work({
              run: (cypher: string, params: Record<string, unknown>) => {
                read.statements.push({ cypher, params });
                return tx.run(cypher, params);
              },
            } as typeof tx);
          },
          opts,
        );
      },
      query: (app, cypher, params, opts) => {
        reads.push({ metadata: opts?.metadata ?? {}, kind: 'statement', statements: [{ cypher, params }] });
        return graph.query(app, cypher, params, opts);
      },
    },
  };
}

/**
 * The reads as Markdown, in the manner of a tck file: the GraphQL query, then each read with its
 * Cypher and parameters. Reads are sorted (fields resolve concurrently, so reads that wait on others
 * start in no fixed order); `replace` turns run-specific strings (a test's environment) into names.
 */
export function renderReads(title: string, query: string, reads: RecordedRead[], replace: Record<string, string>) {
  const fixed = (text: string) => Object.entries(replace).reduce((t, [from, to]) => t.replaceAll(from, to), text);
  const json = (value: unknown) =>
    fixed(JSON.stringify(value, (_k, v: unknown) => (neo4j.isInt(v) ? (v as neo4j.Integer).toNumber() : v), 2));
  const blocks = reads.map((r) => {
    const { op, ...rest } = r.metadata;
    const more = Object.keys(rest).length ? ` ${JSON.stringify(rest)}` : '';
    const head = `### ${String(op)}${more}: ${r.kind === 'statement' ? 'one statement' : 'one read transaction'}`;
    const body = r.statements.map(
      (s) => `\`\`\`cypher${fixed(s.cypher.replace(/^\n?/, '\n'))}\n\`\`\`\n\n\`\`\`json\n${json(s.params)}\n\`\`\``,
    );
    return [head, ...body].join('\n\n');
  });
  blocks.sort();
  return [
    `# ${title}`,
    '',
    '## GraphQL',
    '',
    '```graphql',
    fixed(query.trim()),
    '```',
    '',
    `## Reads (${reads.length})`,
    '',
    blocks.join('\n\n'),
    '',
  ].join('\n');
}
