/**
 * The Neo4j connection both processes share: one driver, managed transactions with metadata,
 * and the idempotent application of schema/graph.cypher.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import neo4j, { type Driver, type ManagedTransaction, type Record as Neo4jRecord } from 'neo4j-driver';
import type { Neo4jConfig } from '../config.js';
import { defaultLocalOptions, ensureLocalNeo4j, type LocalNeo4jOptions } from './local-server.js';
import { retry } from '../retry.js';

export interface Neo4jTarget {
  uri: string;
  user: string;
  password: string;
  database: string;
}

export interface Graph {
  driver: Driver;
  database: string;
  /** Runs `work` in a managed read transaction (retried on transient errors). */
  read<T>(app: string, work: (tx: ManagedTransaction) => Promise<T>, opts?: TxOptions): Promise<T>;
  /**
   * One read statement as an auto-commit transaction (retried on transient errors like `read`): one
   * network round trip, where a managed transaction costs two (BEGIN+RUN, then COMMIT). For reads of
   * one statement, which is most of what the API asks.
   */
  query(app: string, cypher: string, params: Record<string, unknown>, opts?: TxOptions): Promise<Neo4jRecord[]>;
  /** Runs `work` in a managed write transaction (retried on transient errors). */
  write<T>(app: string, work: (tx: ManagedTransaction) => Promise<T>, opts?: TxOptions): Promise<T>;
  close(): Promise<void>;
}

export interface TxOptions {
  timeoutMs?: number;
  metadata?: Record<string, unknown>;
}

/**
 * Where to connect: NEO4J_URI when set, else a local server (the project's unless `local` says
 * another; started on demand). Returns whether the local server was started by this call so the
 * caller can stop it.
 */
export async function resolveNeo4j(
  neo4j: Neo4jConfig,
  local: LocalNeo4jOptions = defaultLocalOptions(),
): Promise<Neo4jTarget & { startedLocal: boolean }> {
  if (neo4j.uri) {
    if (neo4j.password === undefined) {
      throw new Error('NEO4J_PASSWORD must be set when NEO4J_URI is set');
    }
    return { ...neo4j, uri: neo4j.uri, password: neo4j.password, startedLocal: false };
  }
  const server = await ensureLocalNeo4j(local);
  return {
    uri: server.uri,
    user: server.user,
    password: server.password,
    database: neo4j.database,
    startedLocal: server.started,
  };
}

export interface GraphOptions {
  maxPoolSize?: number;
  /**
   * How long a managed transaction is retried on transient errors (the driver's default: 30 s).
   * Ingest keeps the default; the API sets it short, so that while Neo4j is down a query fails
   * quickly with DATABASE_UNAVAILABLE instead of hanging.
   */
  maxTransactionRetryTimeMs?: number;
  /**
   * Called each time the driver runs a write transaction again after a transient failure (a deadlock
   * between two writers, a leader switch), with the Neo4j error code (`unknown` when the failure came
   * at commit, out of `work`'s sight): such retries are invisible otherwise.
   */
  onWriteRetry?: (reason: string) => void;
}

export function createGraph(target: Neo4jTarget, opts: GraphOptions = {}): Graph {
  const driver = neo4j.driver(target.uri, neo4j.auth.basic(target.user, target.password), {
    maxConnectionPoolSize: opts.maxPoolSize ?? 50,
    maxTransactionRetryTime: opts.maxTransactionRetryTimeMs,
    // Plain JS numbers: every integer the model stores (counts, epoch millis) fits in 2^53.
    disableLosslessIntegers: true,
    connectionAcquisitionTimeout: 10_000,
  });
  const config = (app: string, o?: TxOptions) => ({
    timeout: o?.timeoutMs,
    metadata: { app, ...o?.metadata },
  });
  return {
    driver,
    database: target.database,
    read: (app, work, o) => {
      const session = driver.session({ database: target.database, defaultAccessMode: neo4j.session.READ });
      return session.executeRead(work, config(app, o)).finally(() => session.close());
    },
    query: (app, cypher, params, o) => {
      const retryUntil = Date.now() + (opts.maxTransactionRetryTimeMs ?? 30_000);
      return retry(
        async () => {
          const session = driver.session({ database: target.database, defaultAccessMode: neo4j.session.READ });
          try {
            return (await session.run(cypher, params, config(app, o))).records;
          } finally {
            await session.close();
          }
        },
        {
          firstDelayMs: 50,
          maxDelayMs: 1000,
          shouldRetry: (error) => neo4j.isRetryableError(error as Error) && Date.now() < retryUntil,
        },
      );
    },
    write: (app, work, o) => {
      const session = driver.session({ database: target.database });
      let attempts = 0;
      let lastCode: string | undefined;
      const counted = async (tx: ManagedTransaction) => {
        if (attempts++ > 0) opts.onWriteRetry?.(lastCode ?? 'unknown');
        lastCode = undefined;
        try {
          return await work(tx);
        } catch (error) {
          lastCode = (error as { code?: string }).code;
          throw error;
        }
      };
      return session.executeWrite(counted, config(app, o)).finally(() => session.close());
    },
    close: () => driver.close(),
  };
}

/** Neo4j cannot be reached or its database is not up (as opposed to a failed statement). */
export function isNeo4jUnavailable(error: unknown): boolean {
  const code = (error as { code?: string } | undefined)?.code ?? '';
  return code === 'ServiceUnavailable' || code === 'SessionExpired' || code.includes('DatabaseUnavailable');
}

const SCHEMA_FILE = join(dirname(fileURLToPath(import.meta.url)), '../../../schema/graph.cypher');

/** The statements of schema/graph.cypher, comments removed. */
export function schemaStatements(text = readFileSync(SCHEMA_FILE, 'utf8')): string[] {
  return text
    .split('\n')
    .filter((line) => !line.trim().startsWith('//'))
    .join('\n')
    .split(/;\s*$/m)
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Applies the constraints and indexes; safe to run from several processes at once. */
export async function applySchema(graph: Graph): Promise<void> {
  const session = graph.driver.session({ database: graph.database });
  try {
    for (const statement of schemaStatements()) {
      try {
        await session.run(statement);
      } catch (error) {
        // Another process may create the same constraint between our check and our write.
        const code = (error as { code?: string }).code ?? '';
        if (!code.includes('EquivalentSchemaRuleAlreadyExists') && !code.includes('ConstraintAlreadyExists'))
          throw error;
      }
    }
    await session.run('CALL db.awaitIndexes(60)');
  } finally {
    await session.close();
  }
}

/** What readiness asks the database: the cheapest query that needs it to take a transaction. */
export const READY_QUERY = 'RETURN 1';

/**
 * For entry points: applies the schema, retrying with backoff until Neo4j answers, and tells
 * /readyz whether the store is usable (reachable, schema applied).
 */
export function createSchemaReadiness(graph: Graph, log: { warn(obj: object, msg: string): void }) {
  let applied = false;
  const applied$ = retry(() => applySchema(graph), {
    firstDelayMs: 500,
    maxDelayMs: 10_000,
    shouldRetry(error, attempt) {
      // The worker and the API set the schema up at the same moment on start; Neo4j then aborts one
      // of them with a transient error (a deadlock): retrying is the whole answer, not a fault.
      if (neo4j.isRetryableError(error as Error) && !isNeo4jUnavailable(error)) {
        log.warn({ code: (error as { code?: string }).code, attempt }, 'schema setup met a concurrent one; retrying');
      } else {
        log.warn({ err: error, attempt }, 'Neo4j not reachable yet; retrying schema setup');
      }
      return true;
    },
  }).then(() => {
    applied = true;
  });
  return {
    /** resolves once the schema is applied */
    applied: applied$,
    /**
     * Whether the database answers a query. Not the server's handshake alone: while a Neo4j shuts
     * down its Bolt port can still take a connection for a moment after the database stopped taking
     * transactions, and the worker's admission, which asks this while it is behind, could then read a
     * stopping Neo4j as up (docs/ingest.md, "Backpressure").
     */
    async ready(): Promise<boolean> {
      if (!applied) return false;
      const session = graph.driver.session({ database: graph.database, defaultAccessMode: neo4j.session.READ });
      try {
        await session.run(READY_QUERY);
        return true;
      } catch {
        return false;
      } finally {
        await session.close().catch(() => undefined);
      }
    },
  };
}
