/**
 * A span the worker's protobuf decoder reads says which semantic-convention accessors may find a key
 * in its attributes (`keyBits`), and the others answer without looking. Whatever the bits, every
 * derivation must come out as it does for the same span with nothing known of its keys.
 */
import { describe, expect, it } from 'vitest';
import {
  calleeOf,
  calleeOperation,
  destinationOf,
  entryOperationName,
  externalCallerOf,
  isError,
  mayCallDatabase,
  namesOwnService,
  ownClientOperation,
  peerName,
  protocolOf,
  readsSpanAttribute,
  type ServiceInfo,
} from '../../ingest/derive.js';
import { createAttributeKeys } from '../../ingest/otlp/attribute-keys.js';
import { decodeOtlpProtobuf } from '../../ingest/otlp/decode-protobuf.js';
import * as sc from '../../ingest/semconv.js';
import type { Span } from '../../ingest/span.js';
import { defaultConfig } from '../../src/core/config.js';
import { encodeProtobuf, rawSpan, type RawSpan } from '../support/otlp-payloads.js';

const config = defaultConfig();
const service: ServiceInfo = {
  key: '["prod","","shop"]',
  name: 'shop',
  namespace: '',
  environment: 'prod',
  version: '',
};

/** A value each key may carry: numbers where the conventions say so, else a text naming the key. */
const valueOf = (key: string): string | number =>
  key.endsWith('port') || key.endsWith('status_code')
    ? 503
    : key === 'url.full' || key === 'http.url'
      ? 'http://pay.example/v1/orders/12345'
      : `${key}-v`;

/** Every derivation of one span that reads its attributes, as data. */
function derived(span: Span) {
  const a = span.attributes;
  return {
    protocol: protocolOf(span),
    error: isError(span),
    entry: entryOperationName(span),
    callee: calleeOf(span, 'prod'),
    calleeOperation: calleeOperation(span, calleeOf(span, 'prod')),
    ownClientOperation: ownClientOperation(span, service),
    destination: destinationOf(span, 'prod'),
    mayCallDatabase: mayCallDatabase(span),
    ownService: namesOwnService(span, service),
    externalCaller: externalCallerOf(span, service),
    peer: peerName(a, span.keyBits),
  };
}

function decoded(spans: RawSpan[]): Span[] {
  const keys = createAttributeKeys(readsSpanAttribute(config.ingest.tagKeys));
  const body = encodeProtobuf({ resource: { 'service.name': 'shop' }, spans });
  const out = decodeOtlpProtobuf(body, config.limits.decode, keys);
  expect(out.rejected).toEqual([]);
  return out.batch.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans));
}

const keys = [...sc.SPAN_ATTRIBUTE_KEYS];
const kinds = [1, 2, 3, 4, 5];

describe("a decoded span's keyBits", () => {
  it('derive every fact as a span with nothing known of its keys, for each key alone and with others', () => {
    const raw: RawSpan[] = [];
    for (const kind of kinds) {
      // Each key on its own: an accessor that does not look for a key it reads loses its value.
      for (const key of keys) raw.push(rawSpan({ kind, name: 'GET', attributes: { [key]: valueOf(key) } }));
      // Keys after one another, so that every key is behind others of its accessor.
      for (let i = 0; i < keys.length; i += 3)
        raw.push(
          rawSpan({
            kind,
            name: 'op',
            attributes: Object.fromEntries(keys.slice(i, i + 5).map((k) => [k, valueOf(k)])),
          }),
        );
    }
    // A client span naming its own service, under either key.
    for (const key of ['service.peer.name', 'peer.service'])
      raw.push(rawSpan({ kind: 3, attributes: { [key]: 'shop', 'service.peer.namespace': '' } }));
    const spans = decoded(raw);
    expect(spans).toHaveLength(raw.length);
    let found = 0;
    for (const span of spans) {
      expect(span.keyBits).not.toBe(sc.ANY_KEY);
      const unknown: Span = { ...span, keyBits: undefined };
      expect(derived(span)).toEqual(derived(unknown));
      if (protocolOf(span) !== 'unknown') found++;
    }
    // The spans do exercise the accessors: most name a protocol.
    expect(found).toBeGreaterThan(spans.length / 4);
  });

  it('hold no bit of an accessor whose keys the span does not carry, and every bit of one it does', () => {
    const [http, bare] = decoded([
      rawSpan({ attributes: { 'http.request.method': 'GET', 'custom.key': 'x' } }),
      rawSpan({ attributes: { 'custom.key': 'x' } }),
    ]);
    expect(http!.keyBits! & sc.bitsOfKey('http.request.method')).toBe(sc.bitsOfKey('http.request.method'));
    expect(http!.keyBits! & sc.bitsOfKey('db.system')).toBe(0);
    expect(bare!.keyBits).toBe(0);
    expect(sc.bitsOfKey('custom.key')).toBe(0);
    // Shared by two accessors (kafka.topic names a system and a destination), a key has both bits.
    expect(sc.bitsOfKey('kafka.topic') & sc.bitsOfKey('messaging.destination.name')).not.toBe(0);
    expect(sc.bitsOfKey('kafka.topic')).not.toBe(sc.bitsOfKey('messaging.destination.name'));
  });

  it('leave a span decoded whole to every accessor', () => {
    const body = encodeProtobuf({ resource: { 'service.name': 'shop' }, spans: [rawSpan({ attributes: {} })] });
    const [span] = decodeOtlpProtobuf(body, config.limits.decode).batch[0]!.scopeSpans[0]!.spans;
    expect(span!.keyBits).toBe(sc.ANY_KEY);
  });
});
