/**
 * What the durable spool keeps per request: the body as received behind a format byte, decoded again
 * when the spool is read after a restart. That must give exactly what the receiver accepted; records
 * written as JSON of the decoded batch (older spools) must still read.
 */
import { describe, expect, it } from 'vitest';
import { decodeOtlpJson } from '../../ingest/otlp/decode-json.js';
import { decodeOtlpProtobuf } from '../../ingest/otlp/decode-protobuf.js';
import { DEFAULT_DECODE_LIMITS } from '../../ingest/otlp/validate.js';
import { decodeSpoolPayload } from '../../ingest/spool/record.js';
import { buildTopology, encodeRequest, traces, type SpanRec } from '../bench/workload.js';

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
    const limits = { ...DEFAULT_DECODE_LIMITS, maxAttributes: 3 };
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
    const accepted = decodeOtlpJson(json);
    expect(accepted.spanCount).toBe(1);
    expect(decodeSpoolPayload(Buffer.concat([Buffer.of(2), Buffer.from(JSON.stringify(json))]))).toEqual(accepted);
  });

  it('a record holding the decoded batch as JSON (older spools) still reads', () => {
    const accepted = decodeOtlpProtobuf(body);
    const legacy = decodeSpoolPayload(Buffer.from(JSON.stringify(accepted.batch)));
    expect(legacy.batch).toEqual(accepted.batch);
    expect(legacy.spanCount).toBe(accepted.spanCount);
  });
});
