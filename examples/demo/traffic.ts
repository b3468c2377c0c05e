/**
 * Demo traffic for Topograph (`npm run demo`): a small shop traced with the OpenTelemetry SDK, one
 * tracer provider per service, exporting OTLP/HTTP the SDK's standard way: to
 * OTEL_EXPORTER_OTLP_ENDPOINT, which is http://localhost:4318 (the worker of `npm start`) when unset,
 * with OTEL_EXPORTER_OTLP_HEADERS (e.g. `authorization=Bearer <ingest token>`) when the worker asks
 * for a token. Every RATE_MS a request goes web → checkout → payments (1 in 8 fails) and inventory
 * (PostgreSQL), checkout publishes to Kafka topic `orders`, shipping consumes it and calls an
 * uninstrumented carrier API. Ctrl-C sends what is still buffered and stops.
 *
 *   npm start            # one terminal
 *   npm run demo         # another; then open /ui (http://localhost:4000/ui?environment=demo)
 */
import { context, SpanKind, SpanStatusCode, trace, type Span, type Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';

const environment = process.env.DEMO_ENVIRONMENT ?? 'demo';
const rateMs = Number(process.env.RATE_MS ?? 500);

const providers: NodeTracerProvider[] = [];
function tracerFor(service: string, version: string): Tracer {
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({
      'service.name': service,
      'service.version': version,
      'deployment.environment.name': environment,
      team: service === 'payments' ? 'payments' : 'shop',
    }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())],
  });
  providers.push(provider);
  return provider.getTracer('demo-shop', '1.0.0');
}
// The context manager that carries parents between the services' spans in this one process.
new NodeTracerProvider().register();

const web = tracerFor('web', '3.2.0');
const checkout = tracerFor('checkout', '1.4.1');
const payments = tracerFor('payments', '0.9.7');
const inventory = tracerFor('inventory', '2.0.0');
const shipping = tracerFor('shipping', '1.1.0');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A span of `tracer` under `parent`, ended after `work`. */
async function within<T>(
  tracer: Tracer,
  name: string,
  kind: SpanKind,
  attributes: Record<string, string | number>,
  parent: Span | undefined,
  work: (span: Span) => Promise<T>,
): Promise<T> {
  const ctx = parent ? trace.setSpan(context.active(), parent) : context.active();
  const span = tracer.startSpan(name, { kind, attributes }, ctx);
  try {
    return await work(span);
  } finally {
    span.end();
  }
}

const http = (method: string, route: string, status = 200) => ({
  'http.request.method': method,
  'http.route': route,
  'http.response.status_code': status,
});

async function order(n: number): Promise<void> {
  const fail = n % 8 === 0;
  await within(web, 'GET /checkout', SpanKind.SERVER, http('GET', '/checkout'), undefined, async (root) => {
    await within(
      web,
      'POST',
      SpanKind.CLIENT,
      { 'http.request.method': 'POST', 'server.address': 'checkout' },
      root,
      async (call) => {
        await within(checkout, 'POST /orders', SpanKind.SERVER, http('POST', '/orders'), call, async (entry) => {
          await within(
            checkout,
            'SELECT stock',
            SpanKind.CLIENT,
            {
              'db.system': 'postgresql',
              'server.address': 'inventory-db',
              'db.operation.name': 'SELECT',
              'db.collection.name': 'stock',
            },
            entry,
            () => sleep(3),
          );
          await within(
            checkout,
            'POST',
            SpanKind.CLIENT,
            { 'http.request.method': 'POST', 'server.address': 'payments' },
            entry,
            async (pay) => {
              await within(
                payments,
                'POST /pay',
                SpanKind.SERVER,
                http('POST', '/pay', fail ? 502 : 200),
                pay,
                async (s) => {
                  await sleep(fail ? 40 : 8);
                  if (fail) s.setStatus({ code: SpanStatusCode.ERROR, message: 'card processor timeout' });
                },
              );
              if (fail) pay.setStatus({ code: SpanStatusCode.ERROR });
            },
          );
          await within(
            checkout,
            'GET',
            SpanKind.CLIENT,
            { 'http.request.method': 'GET', 'server.address': 'inventory' },
            entry,
            async (inv) => {
              await within(inventory, 'GET /stock/{sku}', SpanKind.SERVER, http('GET', '/stock/{sku}'), inv, () =>
                sleep(2),
              );
            },
          );
          if (!fail) {
            await within(
              checkout,
              'orders publish',
              SpanKind.PRODUCER,
              { 'messaging.system': 'kafka', 'messaging.destination.name': 'orders' },
              entry,
              async (pub) => {
                await within(
                  shipping,
                  'orders process',
                  SpanKind.CONSUMER,
                  { 'messaging.system': 'kafka', 'messaging.destination.name': 'orders' },
                  pub,
                  async (consume) => {
                    await within(
                      shipping,
                      'POST',
                      SpanKind.CLIENT,
                      { 'http.request.method': 'POST', 'url.full': 'https://api.carrier.example/labels' },
                      consume,
                      () => sleep(15),
                    );
                  },
                );
              },
            );
          }
        });
      },
    );
  });
}

let n = 0;
const timer = setInterval(() => void order(++n), rateMs);
const endpoint = process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
console.log(
  `demo traffic every ${rateMs} ms to ${endpoint ?? 'the OTLP/HTTP default, localhost:4318'}, environment "${environment}"; ` +
    `the map: /ui?environment=${encodeURIComponent(environment)} on the API; Ctrl-C stops`,
);
function stop() {
  clearInterval(timer);
  // The worker may be gone already (Ctrl-C in the terminal of `npm start` too): say so, and stop anyway.
  void Promise.allSettled(providers.map((p) => p.shutdown())).then((results) => {
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) console.error(`the last spans were not sent: ${String(failed.reason)}`);
    process.exit(0);
  });
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
