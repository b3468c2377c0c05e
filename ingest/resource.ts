/** Reading the resource attributes that identify a service (OpenTelemetry semantic conventions). */
import type { AttrValue, Attributes } from './span.js';

const text = (value: AttrValue | undefined): string | undefined =>
  typeof value === 'string' && value !== '' ? value : undefined;

/** `service.name`, or undefined when the resource does not set one (the deriver then says `unknown_service`). */
export function serviceName(resource: Attributes): string | undefined {
  return text(resource['service.name']);
}

/** `service.namespace`, '' when unset. */
export function serviceNamespace(resource: Attributes): string {
  return text(resource['service.namespace']) ?? '';
}

/** `deployment.environment.name`, else the older `deployment.environment`, else ''. */
export function deploymentEnvironment(resource: Attributes): string {
  return text(resource['deployment.environment.name']) ?? text(resource['deployment.environment']) ?? '';
}
