/**
 * A canary recorded with the official OpenTelemetry SDK (test/support/sdk-spans.ts): checkout (at a
 * version) calls payments 1.0.0 and the database orders-db.
 */
import type { Graph } from '../../src/core/neo4j/connection.js';
import { seed } from './graph.js';
import { checkoutSpans, decoded, end, sdk } from './sdk-spans.js';

/** checkout `version` → payments 1.0.0: `calls` calls, the first `errors` failing; and checkout → orders-db. */
export function checkouts(t: ReturnType<typeof sdk>, version: string, calls: number, errors: number) {
  const checkout = t.tracer('checkout', version);
  const payments = t.tracer('payments', '1.0.0');
  for (let i = 0; i < calls; i++) {
    const spans = checkoutSpans(checkout, payments, {});
    for (const span of [spans.payments, spans.call, spans.checkout]) end(span, i < errors);
  }
}

/** checkout 2.1.0 → payments: 100 calls, 1 failing; checkout 2.2.0 (the canary): 25 calls, 3 failing. */
export async function seedSdkCanary(graph: Graph, environment: string): Promise<void> {
  const t = sdk(environment);
  checkouts(t, '2.1.0', 100, 1);
  checkouts(t, '2.2.0', 25, 3);
  await seed(graph, [decoded(t.exporter)]);
}
