/**
 * What the durable spool keeps per request: the body as received behind a format byte, decoded again
 * when the spool is read after a restart. That must give exactly what the receiver accepted; records
 * written as JSON of the decoded batch (older spools) must still read.
 */
import { describe, expect, it } from 'vitest';
import { decodeOtlpJson } from '../../ingest/otlp/decode-json.js';
import { decodeOtlpProtobuf } from '../../ingest/otlp/decode-protobuf.js';
import { defaultConfig } from '../../src/core/config.js';
import { decodeSpoolPayload, encodeSpoolPayload } from '../../ingest/spool/record.js';
import { buildTopology, encodeRequest, traces, type SpanRec } from '../bench/workload.js';

const LIMITS = defaultConfig().limits.decode;

const topology = buildTopology({
  runId: 'spool',
  environment: 'spool-test',
  seed: 3,
  services: 20,
  routesPerService: 3,
  databases: 3,
  externals: 2,
  errorRate: 0.1,
});
const spans: SpanRec[] = [];
const gen = traces(topology, 4, Date.UTC(2025, 0, 1));
while (spans.length < 200) spans.push(...gen.next().value!);
const body = Buffer.from(encodeRequest(topology, spans).body);

describe('spool payload', () => {
  it('an OTLP/protobuf body decodes to what the receiver decoded, under the same limits', () => {
    const limits = { ...LIMITS, maxAttributes: 3 };
    const accepted = decodeOtlpProtobuf(body, limits);
    expect(accepted.spanCount).toBe(spans.length);
    expect(decodeSpoolPayload(Buffer.concat([Buffer.of(1), body]), limits)).toEqual(accepted);
  });

  it('an OTLP/JSON body decodes to what the receiver decoded', () => {
    const json = {
      resourceSpans: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'checkout' } }] },
          scopeSpans: [
            {
              spans: [
                {
                  traceId: '5b8efff798038103d269b633813fc60c',
                  spanId: 'eee19b7ec3c1b174',
                  name: 'GET /cart',
                  kind: 2,
                  startTimeUnixNano: '1735689600000000000',
                  endTimeUnixNano: '1735689600005000000',
                },
              ],
            },
          ],
        },
      ],
    };
    const accepted = decodeOtlpJson(json, LIMITS);
    expect(accepted.spanCount).toBe(1);
    expect(decodeSpoolPayload(Buffer.concat([Buffer.of(2), Buffer.from(JSON.stringify(json))]), LIMITS)).toEqual(
      accepted,
    );
  });

  it('a record holding the decoded batch as JSON (older spools) still reads', () => {
    const accepted = decodeOtlpProtobuf(body, LIMITS);
    const legacy = decodeSpoolPayload(Buffer.from(JSON.stringify(accepted.batch)), LIMITS);
    expect(legacy.batch).toEqual(accepted.batch);
    expect(legacy.spanCount).toBe(accepted.spanCount);
  });

  it("a batch handed over without a body is spooled without what only the decoding process can read (its spans' key bits and id places)", () => {
    const accepted = decodeOtlpProtobuf(body, LIMITS);
    const spooled = decodeSpoolPayload(Buffer.concat(encodeSpoolPayload(accepted)), LIMITS);
    const withoutLocal = accepted.batch.map((rs) => ({
      ...rs,
      scopeSpans: rs.scopeSpans.map((ss) => ({
        ...ss,
        spans: ss.spans.map(({ keyBits: _bits, idAt: _at, ...span }) => span),
      })),
    }));
    expect(accepted.batch[0]!.scopeSpans[0]!.spans[0]!.keyBits).toBeDefined();
    expect(JSON.stringify(spooled.batch)).toBe(JSON.stringify(withoutLocal));
  });
});
