/**
 * Calls between two services recorded with the official OpenTelemetry SDK, as the ReadableSpans an
 * exporter is handed: the client half and the server half of each call, ready to be exported in
 * separate requests (as two processes would).
 */
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';

function tracerOf(service: string, environment: string) {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': service, 'deployment.environment.name': environment }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  return { tracer: provider.getTracer('durability-test', '1.0.0'), exporter };
}

/**
 * `calls` HTTP calls from `client` to `server`, each its own trace; the halves come back apart. The
 * first `errors` of them fail (a 500: both halves end with status ERROR).
 */
export function recordCalls(client: string, server: string, environment: string, calls: number, errors = 0) {
  const a = tracerOf(client, environment);
  const b = tracerOf(server, environment);
  for (let i = 0; i < calls; i++) {
    const c = a.tracer.startSpan('GET', { kind: SpanKind.CLIENT, attributes: { 'http.request.method': 'GET' } });
    const s = b.tracer.startSpan(
      'GET /items/{id}',
      { kind: SpanKind.SERVER, attributes: { 'http.request.method': 'GET', 'http.route': '/items/{id}' } },
      trace.setSpan(context.active(), c),
    );
    if (i < errors) {
      s.setAttribute('http.response.status_code', 500).setStatus({ code: SpanStatusCode.ERROR });
      c.setAttribute('http.response.status_code', 500).setStatus({ code: SpanStatusCode.ERROR });
    }
    s.end();
    c.end();
  }
  return {
    clientSpans: a.exporter.getFinishedSpans() as ReadableSpan[],
    serverSpans: b.exporter.getFinishedSpans() as ReadableSpan[],
  };
}
