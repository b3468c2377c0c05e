/** What every resolver gets: the data layer (reads and per-request loaders), the settings queries default to. */
import type { Graph } from '../../core/neo4j/connection.js';
import { createLoaders, type Loaders } from './data/loaders.js';
import { createReader, type Reader } from './data/reader.js';

export interface ApiSettings {
  liveWindowMs: number;
  maxDepth: number;
  queryTimeoutMs: number;
  maxComplexity: number;
  maxQueryDepth: number;
  maxBreadth: number;
  /** A trace UI's URL with `{traceId}` in it; when set, exemplar traces come with links. */
  traceUrlTemplate?: string;
}

export interface Context {
  /** the one way to read Neo4j (./data/reader.ts); only the data layer uses it */
  reader: Reader;
  loaders: Loaders;
  settings: ApiSettings;
  now: number;
  limits: { complexity: number; depth: number; breadth: number };
}

export function createContext(graph: Graph, settings: ApiSettings): Context {
  const reader = createReader(graph, settings);
  return {
    reader,
    settings,
    now: Date.now(),
    loaders: createLoaders(reader),
    limits: { complexity: settings.maxComplexity, depth: settings.maxQueryDepth, breadth: settings.maxBreadth },
  };
}

/** The lower time bound of a query: its `since`, else the live window before now. */
export function sinceMs(ctx: Context, since: Date | null | undefined): number {
  return since ? since.getTime() : ctx.now - ctx.settings.liveWindowMs;
}
