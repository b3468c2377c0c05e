/** The incident bot example's query must stay valid against the schema the API serves. */
import { parse, validate } from 'graphql';
import { describe, expect, it } from 'vitest';
import { INCIDENT_CONTEXT, summarize } from '../../examples/incident-bot/incident-context.js';
import { schema } from '../../src/api/graphql/schema.js';

describe('incident bot example', () => {
  it('asks a query the schema accepts', () => {
    expect(validate(schema, parse(INCIDENT_CONTEXT)).map((e) => e.message)).toEqual([]);
  });

  it('summarizes the worst neighbours first', () => {
    const n = (name: string, errorRate: number) => ({
      component: { name, kind: 'SERVICE' },
      calls: 10,
      errors: errorRate * 10,
      errorRate,
      avgLatencyMs: 12,
    });
    const text = summarize(
      {
        service: { name: 'checkout', environment: 'prod' },
        health: { calls: 100, errors: 5, errorRate: 0.05, avgLatencyMs: 40 },
        upstream: [n('gateway', 0)],
        downstream: [n('db', 0.1), n('payments', 0.5)],
        changes: [],
        owners: [{ key: 'team', value: 'payments' }],
        exemplarTraceIds: ['ab'],
        links: [],
      },
      '15m',
    );
    expect(text).toContain('*checkout* (prod), last 15m: 100 calls, 5.0% errors, avg 40 ms');
    expect(text.indexOf('payments (service)')).toBeLessThan(text.indexOf('db (service)'));
    expect(text).toContain('Owners: team=payments');
  });
});
