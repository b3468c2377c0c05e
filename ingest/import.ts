/**
 * Importing trace files (backfill, the corpus, tests): each file is decoded by its content, run
 * through the same engine as live OTLP traffic and its facts written to the sink; dependency-link
 * files become DEPENDS_ON edges directly. Halves still waiting at the end are expired (`drain`), so
 * an unanswered client call becomes its Database, destination or External peer.
 *
 * Time stands still during an import: nothing expires half-way through a file, whatever its size or
 * the speed of the database; everything is resolved once, at the end.
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { serviceKey } from '../src/core/model.js';
import { factCount, type ComponentRow, type FactBatch } from './aggregate.js';
import { decodeFile, type DecodedFile } from './formats/detect.js';
import type { DecodeLimits } from './otlp/validate.js';
import type { DependencyLink } from './formats/dependency-links.js';
import { createEngine, type EngineOptions } from './engine.js';
import type { Attributes, DecodedBatch, ResourceSpans, SpanProblem } from './span.js';
import type { FactSink, LinkSink } from './writer.js';

export interface ImportFile {
  /** shown in results and used to detect YAML by its extension */
  name: string;
  read(): Promise<string>;
}

export interface ImportProgress {
  file: string;
  done: number;
  total: number;
}

export interface ImportDeps {
  files: (string | ImportFile)[];
  sink: FactSink;
  links: LinkSink;
  options: EngineOptions;
  /** the attribute limits of TOPOGRAPH_MAX_* (a file is read whole, whatever its number of spans) */
  limits: DecodeLimits;
  /** sets `deployment.environment.name` on every imported resource (and every linked service) */
  environment?: string;
  /** attributes set on every imported resource, over what the file says */
  resourceOverrides?: Attributes;
  /** shift each file's timestamps so that its newest span ends at the import's `now` */
  rebaseTime?: boolean;
  now?: () => number;
  /** spans per engine step: progress is reported and facts written after each */
  chunkSpans?: number;
  onProgress?(p: ImportProgress): void;
}

export interface FileResult {
  file: string;
  spans: number;
  rejected: SpanProblem[];
  /** dependency links imported (dependency-link files only) */
  links?: number;
  /** why the whole file was refused */
  error?: string;
}

export interface ImportResult {
  files: FileResult[];
  spans: number;
  seconds: number;
  spansPerSecond: number;
}

const asFile = (f: string | ImportFile): ImportFile =>
  typeof f === 'string' ? { name: f, read: () => readFile(f, 'utf8') } : f;

/** Every resource with the overrides applied, every span shifted by `shiftMs`. */
function adjust(decoded: DecodedBatch, overrides: Attributes, shiftMs: number): ResourceSpans[] {
  return decoded.batch.map((rs) => ({
    resource: { ...rs.resource, ...overrides },
    scopeSpans: rs.scopeSpans.map((ss) => ({
      scope: ss.scope,
      spans:
        shiftMs === 0
          ? ss.spans
          : ss.spans.map((s) => ({ ...s, startMs: s.startMs + shiftMs, endMs: s.endMs + shiftMs })),
    })),
  }));
}

function newestEnd(decoded: DecodedBatch): number {
  let max = Number.NEGATIVE_INFINITY;
  for (const rs of decoded.batch)
    for (const ss of rs.scopeSpans) for (const s of ss.spans) if (s.endMs > max) max = s.endMs;
  return max;
}

/** Splits resources into batches of about `size` spans, keeping each span with its resource and scope. */
function* chunks(batch: ResourceSpans[], size: number): Generator<DecodedBatch> {
  let current: ResourceSpans[] = [];
  let count = 0;
  for (const rs of batch) {
    for (const ss of rs.scopeSpans) {
      for (let i = 0; i < ss.spans.length;) {
        const take = ss.spans.slice(i, i + Math.max(1, size - count));
        current.push({ resource: rs.resource, scopeSpans: [{ scope: ss.scope, spans: take }] });
        count += take.length;
        i += take.length;
        if (count >= size) {
          yield { batch: current, spanCount: count, rejected: [] };
          current = [];
          count = 0;
        }
      }
    }
  }
  if (count > 0) yield { batch: current, spanCount: count, rejected: [] };
}

function linkRows(links: DependencyLink[], environment: string, at: number) {
  const services = new Map<string, ComponentRow>();
  const service = (name: string) => {
    const key = serviceKey(environment, '', name);
    if (!services.has(key)) {
      services.set(key, {
        key,
        name,
        environment,
        namespace: '',
        system: null,
        address: null,
        version: null,
        firstSeen: at,
        lastSeen: at,
      });
    }
    return key;
  };
  // Sum repeated parent/child pairs so one statement never merges the same edge twice.
  const edges = new Map<string, { from: string; to: string; calls: number; firstSeen: number; lastSeen: number }>();
  for (const l of links) {
    const from = service(l.parent);
    const to = service(l.child);
    const k = `${from}\n${to}`;
    const e = edges.get(k);
    if (e) e.calls += l.callCount;
    else edges.set(k, { from, to, calls: l.callCount, firstSeen: at, lastSeen: at });
  }
  const byKey = (a: { from: string; to: string }, b: { from: string; to: string }) =>
    a.from < b.from ? -1 : a.from > b.from ? 1 : a.to < b.to ? -1 : a.to > b.to ? 1 : 0;
  return {
    services: [...services.values()].sort((a, b) => (a.key < b.key ? -1 : 1)),
    links: [...edges.values()].sort(byKey),
  };
}

export async function importFiles(deps: ImportDeps): Promise<ImportResult> {
  const started = performance.now();
  const at = (deps.now ?? Date.now)();
  const engine = createEngine(deps.options);
  /** Time stands still for the whole import (see the file comment). */
  const write = async (batch: FactBatch) => {
    if (factCount(batch) > 0) await deps.sink.write(batch);
  };
  const overrides: Attributes = { ...deps.resourceOverrides };
  if (deps.environment !== undefined) overrides['deployment.environment.name'] = deps.environment;
  const chunkSpans = deps.chunkSpans ?? 2000;
  const results: FileResult[] = [];
  let spans = 0;

  for (const f of deps.files.map(asFile)) {
    let decoded: DecodedFile;
    try {
      decoded = decodeFile(f.name, await f.read(), deps.limits);
    } catch (error) {
      results.push({ file: f.name, spans: 0, rejected: [], error: (error as Error).message });
      continue;
    }
    if ('dependencyLinks' in decoded) {
      const environment = String(overrides['deployment.environment.name'] ?? '');
      const rows = linkRows(decoded.dependencyLinks, environment, at);
      await deps.links.writeLinks(rows.services, rows.links);
      results.push({ file: f.name, spans: 0, rejected: [], links: decoded.dependencyLinks.length });
      continue;
    }
    const newest = newestEnd(decoded);
    const shift = deps.rebaseTime && Number.isFinite(newest) ? at - newest : 0;
    const batch = adjust(decoded, overrides, shift);
    let done = 0;
    for (const chunk of chunks(batch, chunkSpans)) {
      engine.ingest({ ...chunk, origin: 'import' }, at);
      done += chunk.spanCount;
      await write(engine.collect(at));
      deps.onProgress?.({ file: f.name, done, total: decoded.spanCount });
    }
    spans += decoded.spanCount;
    results.push({ file: f.name, spans: decoded.spanCount, rejected: decoded.rejected });
  }
  await write(engine.drain(at));
  const seconds = (performance.now() - started) / 1000;
  return { files: results, spans, seconds, spansPerSecond: seconds > 0 ? spans / seconds : 0 };
}

/** One line per file: spans, links, rejected spans with their reasons, or why the file was refused. */
export function formatResult(r: FileResult): string[] {
  const name = basename(r.file);
  // Decoding errors already start with the file's name.
  if (r.error) return [r.error.startsWith(r.file) ? `refused: ${r.error}` : `${name}: refused: ${r.error}`];
  if (r.links !== undefined) return [`${name}: ${r.links} dependency links`];
  return [
    `${name}: ${r.spans} spans imported, ${r.rejected.length} rejected`,
    ...r.rejected.map((p) => `  rejected ${p.at}: ${p.message}`),
  ];
}
