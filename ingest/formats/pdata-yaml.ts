/**
 * The OpenTelemetry Collector's golden-file YAML (pdata): OTLP JSON written as YAML. Traces are
 * decoded with the OTLP/JSON decoder; expected service-graph metrics are read for conformance tests.
 */
import { isScalar, parseDocument, visit } from 'yaml';
import type { DecodedBatch } from '../span.js';
import { InvalidPayloadError } from '../otlp/errors.js';
import type { DecodeLimits } from '../otlp/validate.js';
import { decodeOtlpJson, isObject, otlpAttributes } from '../otlp/decode-json.js';

const ID_KEYS = new Set(['traceId', 'spanId', 'parentSpanId']);

/**
 * Parses YAML keeping what plain scalars would otherwise lose: an unquoted id such as
 * `1000000000000000` or `1e00000000000000` would become a number, and an unquoted nanosecond
 * timestamp a rounded double. Both are kept as their source text.
 */
function parseYaml(text: string): unknown {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) throw new InvalidPayloadError(`invalid YAML: ${doc.errors[0]!.message}`);
  visit(doc, {
    Pair(_, pair) {
      if (isScalar(pair.key) && ID_KEYS.has(String(pair.key.value)) && isScalar(pair.value)) {
        if (typeof pair.value.value !== 'string' && pair.value.source !== undefined)
          pair.value.value = pair.value.source;
      }
    },
    Scalar(_, node) {
      if (typeof node.value === 'number' && Number.isInteger(node.value) && !Number.isSafeInteger(node.value)) {
        if (node.source !== undefined && /^\d+$/.test(node.source)) node.value = node.source;
      }
    },
  });
  return doc.toJS();
}

/** Decodes a pdata YAML traces file (`resourceSpans: …`). */
export function pdataYamlToBatch(text: string, limits: DecodeLimits): DecodedBatch {
  return decodeOtlpJson(parseYaml(text), limits);
}

export interface ExpectedEdge {
  client: string;
  server: string;
  connectionType: string;
  failed: boolean;
  count: number;
}

const REQUEST_TOTAL = 'traces_service_graph_request_total';
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/**
 * The edges a servicegraph connector's expected-metrics YAML states: one per data point of the
 * `traces_service_graph_request_total` sum, labelled by `client`, `server`, `connection_type`, `failed`.
 */
export function pdataYamlExpectedEdges(text: string): ExpectedEdge[] {
  const doc = parseYaml(text);
  if (!isObject(doc) || !Array.isArray(doc.resourceMetrics)) {
    throw new InvalidPayloadError('not a pdata metrics file (no resourceMetrics)');
  }
  const edges: ExpectedEdge[] = [];
  for (const rm of doc.resourceMetrics) {
    for (const sm of list(isObject(rm) ? rm.scopeMetrics : undefined)) {
      for (const metric of list(isObject(sm) ? sm.metrics : undefined)) {
        if (!isObject(metric) || metric.name !== REQUEST_TOTAL || !isObject(metric.sum)) continue;
        for (const dp of list(metric.sum.dataPoints)) {
          if (!isObject(dp)) continue;
          const labels = otlpAttributes(dp.attributes, 0, Number.POSITIVE_INFINITY);
          edges.push({
            client: String(labels.client ?? ''),
            server: String(labels.server ?? ''),
            connectionType: String(labels.connection_type ?? ''),
            failed: labels.failed === true || labels.failed === 'true',
            count: Number(dp.asInt ?? dp.asDouble ?? 0),
          });
        }
      }
    }
  }
  return edges;
}
