/**
 * The repository's own test data (test/fixtures/): trace files in every format the importer reads
 * (written by test/fixtures/build.ts) and the servicegraph conformance cases, each a small JSON file
 * of spans and the edges the OpenTelemetry Collector's servicegraph connector states for them.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ExpectedEdge } from '../../ingest/formats/pdata-yaml.js';
import { SpanKind, type DecodedBatch, type Span } from '../../ingest/span.js';
import { TraceBuilder } from './spans.js';

const FIXTURES = new URL('../fixtures/', import.meta.url);
export const fixturePath = (path: string): string => fileURLToPath(new URL(path, FIXTURES));
export const fixtureText = (path: string): string => readFileSync(new URL(path, FIXTURES), 'utf8');
export const fixtureJson = (path: string): unknown => JSON.parse(fixtureText(path));
/** The files of a fixture folder, as paths relative to test/fixtures/. */
export const fixtureFiles = (dir: string): string[] =>
  readdirSync(new URL(dir, FIXTURES))
    .sort()
    .map((name) => `${dir}${name}`);

export interface CaseSpan {
  /** the span's name within its trace, for `parent` */
  id: string;
  parent?: string;
  service: string;
  kind: keyof typeof SpanKind;
  name: string;
  error?: boolean;
  attributes?: Record<string, string>;
}

export interface ServicegraphCase {
  about: string;
  /** each trace's spans, parents before children */
  traces: CaseSpan[][];
  expected: ExpectedEdge[];
  /** callers named by peer.service, kept as External nodes (beyond the connector) */
  externalCallers?: { from: string; to: string; calls: number; errors: number }[];
}

export const servicegraphCases = (): [string, ServicegraphCase][] =>
  fixtureFiles('servicegraph/').map((f) => [
    f.replace(/^servicegraph\/|\.json$/g, ''),
    fixtureJson(f) as ServicegraphCase,
  ]);

/** A case's traces as decoded requests: one per service and trace, as separate SDKs would send them. */
export function caseBatches(c: ServicegraphCase): DecodedBatch[] {
  return c.traces.flatMap((trace) => {
    const t = new TraceBuilder();
    const spans = new Map<string, Span>();
    for (const s of trace) {
      spans.set(
        s.id,
        t.span({
          service: s.service,
          kind: SpanKind[s.kind],
          name: s.name,
          parent: s.parent === undefined ? undefined : spans.get(s.parent),
          error: s.error,
          attributes: s.attributes,
        }),
      );
    }
    return [...new Set(trace.map((s) => s.service))].map((service) => t.batch([service]));
  });
}
