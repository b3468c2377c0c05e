import { KEEP_PLAN } from '../../ingest/positional-rows.js';

/**
 * A flush statement's label in the bench tools' tables: what it merges (`c:Component`, `DEPENDS_ON`),
 * else its first characters after the plan option, and the rows it carried.
 */
export const statementName = (q: string, rows: number): string =>
  `${/MERGE \((\w+):(\w+)|MERGE \(\w+\)-\[\w*:(\w+)/.exec(q)?.slice(1).filter(Boolean).join(':') ?? q.replace(KEEP_PLAN, '').trim().slice(0, 30)} (${rows} rows)`;
