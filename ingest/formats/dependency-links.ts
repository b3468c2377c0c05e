/**
 * Jaeger dependency links (`[{parent, child, callCount}]`, as written by spark-dependencies and
 * served by the query API's `/api/dependencies`, there wrapped as `{data: [...]}`). They are
 * already-aggregated service→service call counts, not traces.
 */
import { InvalidPayloadError } from '../otlp/errors.js';
import { isObject } from '../otlp/decode-json.js';

export interface DependencyLink {
  parent: string;
  child: string;
  callCount: number;
}

function linksArray(doc: unknown): unknown[] | undefined {
  if (Array.isArray(doc)) return doc;
  if (isObject(doc) && Array.isArray(doc.data)) return doc.data;
  return undefined;
}

const isLink = (v: unknown): boolean =>
  isObject(v) && typeof v.parent === 'string' && typeof v.child === 'string' && !('spans' in v) && !('traceID' in v);

/** True for a non-empty array of `{parent, child}` objects, bare or as `{data: [...]}`. */
export function isDependencyLinks(doc: unknown): boolean {
  const links = linksArray(doc);
  return links !== undefined && links.length > 0 && links.every(isLink);
}

/** The links of a dependency-links document; throws InvalidPayloadError when it is not one. */
export function dependencyLinks(doc: unknown): DependencyLink[] {
  const links = linksArray(doc);
  if (!links || !links.every(isLink)) throw new InvalidPayloadError('not a list of Jaeger dependency links');
  return links.map((raw) => {
    const link = raw as { parent: string; child: string; callCount?: unknown };
    const calls = Number(link.callCount ?? 0);
    return { parent: link.parent, child: link.child, callCount: Number.isFinite(calls) && calls >= 0 ? calls : 0 };
  });
}
