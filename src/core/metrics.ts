/** Prometheus metrics: one registry per process, served at /metrics. */
import { collectDefaultMetrics, Registry } from 'prom-client';

export function createRegistry(processName: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ process: processName });
  collectDefaultMetrics({ register: registry, prefix: 'topograph_' });
  return registry;
}
