/**
 * Topograph tracing itself with OpenTelemetry (TOPOGRAPH_SELF_TRACING=on), exported over OTLP/HTTP,
 * by default into its own worker: Topograph then appears on its own map.
 *
 * Exporting into yourself can feed back: every export is a request that would make a span that is
 * exported in turn. So the worker never traces a request to its receivers (its spans come from
 * `acceptSpan` below, skipped for batches that only hold its own spans), and no process traces its
 * own exports (the OTLP exporter already suppresses tracing of its requests; the hook below makes
 * sure for any request to the endpoint).
 */
import { createRequire } from 'node:module';
import { diag, DiagLogLevel, type Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import type { SelfTracingConfig } from './config.js';
import type { Logger } from './logger.js';

export interface SelfTracing {
  tracer: Tracer;
  serviceName: string;
  shutdown(): Promise<void>;
}

export interface SelfTracingOptions {
  serviceName: string;
  /** incoming request paths never traced (health checks, metrics, the receivers themselves) */
  ignorePaths: (path: string) => boolean;
  /** where the SDK's own warnings go (a failing export, say) */
  log: Logger;
  /** version of the Topograph build, for the map's library view */
  version?: string;
}

/** Starts tracing this process when configured; undefined when self-tracing is off. Call before listening. */
export function startSelfTracing(config: SelfTracingConfig, options: SelfTracingOptions): SelfTracing | undefined {
  if (!config.enabled) return undefined;
  const endpoint = new URL(config.endpoint);
  const { log } = options;
  diag.setLogger(
    {
      error: (message, ...args) => log.warn({ args }, `self-tracing: ${message}`),
      warn: (message, ...args) => log.warn({ args }, `self-tracing: ${message}`),
      info: () => {},
      debug: () => {},
      verbose: () => {},
    },
    DiagLogLevel.WARN,
  );
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({
      'service.name': options.serviceName,
      'service.namespace': 'topograph',
      'deployment.environment.name': config.environment,
      ...(options.version ? { 'service.version': options.version } : {}),
    }),
    spanProcessors: [
      new BatchSpanProcessor(new OTLPTraceExporter({ url: endpoint.href }), { scheduledDelayMillis: 1000 }),
    ],
  });
  provider.register();
  const unregister = registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (req) => options.ignorePaths((req.url ?? '/').split('?')[0]!),
        // The paths traced are fixed ones (/graphql), so the path is the route: operations get a name.
        startIncomingSpanHook: (req) => ({ 'http.route': (req.url ?? '/').split('?')[0]! }),
        ignoreOutgoingRequestHook: (req) =>
          `${req.hostname ?? req.host}`.replace(/:\d+$/, '') === endpoint.hostname &&
          String(req.port ?? '') === endpoint.port,
      }),
    ],
  });
  // The instrumentation patches node:http when it is next required; ES module imports of it are
  // already bound, so require it once now (servers are created after this call).
  createRequire(import.meta.url)('node:http');
  return {
    tracer: provider.getTracer('topograph', options.version),
    serviceName: options.serviceName,
    async shutdown() {
      unregister();
      await provider.shutdown();
    },
  };
}
