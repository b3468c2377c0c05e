/**
 * Mirrors a Backstage catalog (its REST API, `GET /api/catalog/entities`) into the declared map every
 * TOPOGRAPH_BACKSTAGE_INTERVAL. A read that fails (unreachable, refused, not JSON, too slow, or listing
 * no entity the map keeps) changes nothing stored: the catalog is replaced only from a complete read.
 */
import type { CatalogConfig } from '../../src/core/config.js';
import type { Logger } from '../../src/core/logger.js';
import { readEntities, type ReadResult } from './descriptors.js';
import type { CatalogStore, CatalogWrite } from './store.js';

/**
 * Entities asked for per request; the catalog is read page by page (Backstage orders them by entity
 * id, so pages do not shift) until a short page.
 */
export const PAGE_SIZE = 500;
/** Only the fields the declared map reads. */
const FIELDS = 'apiVersion,kind,metadata.name,metadata.namespace,metadata.title,metadata.annotations,spec';

export class CatalogReadError extends Error {}

/** Reads every entity of a Backstage catalog; throws a CatalogReadError saying what went wrong. */
export async function fetchBackstageCatalog(
  config: Pick<CatalogConfig, 'backstageToken' | 'timeoutMs'> & { backstageUrl: string },
  pageSize = PAGE_SIZE,
): Promise<ReadResult> {
  const base = config.backstageUrl.replace(/\/+$/, '');
  const signal = AbortSignal.timeout(config.timeoutMs);
  const headers: Record<string, string> = { accept: 'application/json' };
  if (config.backstageToken) headers.authorization = `Bearer ${config.backstageToken}`;
  const items: { value: unknown; where: string }[] = [];
  for (let offset = 0; ; offset += pageSize) {
    const url = `${base}/api/catalog/entities?fields=${FIELDS}&limit=${pageSize}&offset=${offset}`;
    let res: Response;
    try {
      res = await fetch(url, { headers, signal });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      const why = signal.aborted
        ? `no complete answer within ${config.timeoutMs} ms`
        : (cause?.code ?? cause?.message ?? (error as Error).message);
      throw new CatalogReadError(`Backstage catalog at ${base} unreachable: ${why}`);
    }
    if (!res.ok) {
      const hint = res.status === 401 || res.status === 403 ? ' (check TOPOGRAPH_BACKSTAGE_TOKEN)' : '';
      throw new CatalogReadError(`Backstage catalog at ${base} answered HTTP ${res.status}${hint}`);
    }
    const page: unknown = await res.json().catch(() => undefined);
    if (!Array.isArray(page)) throw new CatalogReadError(`Backstage catalog at ${base} did not answer a JSON list`);
    page.forEach((value, i) => items.push({ value, where: `${base} entity ${offset + i + 1}` }));
    if (page.length < pageSize) break;
  }
  return readEntities(items);
}

export interface BackstagePollerDeps {
  config: CatalogConfig & { backstageUrl: string };
  store: CatalogStore;
  log: Logger;
  /** entities per request (default PAGE_SIZE) */
  pageSize?: number;
}

export interface BackstagePoller {
  /** One read and store; rejects with what went wrong, leaving the stored catalog as it was. */
  runOnce(): Promise<CatalogWrite & { ignored: Record<string, number>; problems: string[] }>;
  start(): void;
  stop(): Promise<void>;
}

export function createBackstagePoller({ config, store, log, pageSize }: BackstagePollerDeps): BackstagePoller {
  const source = `backstage:${config.backstageUrl}`;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | undefined;

  async function runOnce() {
    const read = await fetchBackstageCatalog(config, pageSize);
    // A Backstage being restored or re-reading its locations answers an empty list for a while:
    // mirroring that would wipe the declared map (and every owner) until its next complete read.
    if (read.entities.length === 0) {
      throw new CatalogReadError(
        `Backstage catalog at ${config.backstageUrl} listed no Component, Resource, System or Group; taken as a catalog being rebuilt`,
      );
    }
    const written = await store.write(source, read.entities, { mirror: true, environment: config.environment });
    return { ...written, ignored: read.ignored, problems: read.problems };
  }

  const tick = () => {
    // A read slower than the interval is not started twice.
    if (running) return;
    running = runOnce()
      .then(
        (r) => {
          for (const p of r.problems) log.warn({ source }, `catalog: ${p}`);
          log.info(
            { source, entities: r.entities, removed: r.removed, ignored: r.ignored, declared: r.declaredDependencies },
            'catalog: Backstage catalog read',
          );
        },
        (error: Error) => log.error({ source }, `catalog: ${error.message}; the stored catalog is kept`),
      )
      .finally(() => {
        running = undefined;
      });
  };

  return {
    runOnce,
    start() {
      if (timer) return;
      tick();
      timer = setInterval(tick, config.intervalMs);
      timer.unref();
    },
    async stop() {
      clearInterval(timer);
      timer = undefined;
      await running;
    },
  };
}
