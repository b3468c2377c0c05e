import { describe, expect, it } from 'vitest';
import { deploymentEnvironment, serviceName, serviceNamespace } from '../../ingest/resource.js';

describe('resource attributes', () => {
  it('serviceName is service.name, undefined when missing, empty or not a string', () => {
    expect(serviceName({ 'service.name': 'checkout' })).toBe('checkout');
    expect(serviceName({})).toBeUndefined();
    expect(serviceName({ 'service.name': '' })).toBeUndefined();
    expect(serviceName({ 'service.name': 42 })).toBeUndefined();
  });

  it('serviceNamespace is service.namespace or ""', () => {
    expect(serviceNamespace({ 'service.namespace': 'shop' })).toBe('shop');
    expect(serviceNamespace({})).toBe('');
  });

  it('deploymentEnvironment prefers deployment.environment.name over deployment.environment', () => {
    expect(deploymentEnvironment({ 'deployment.environment.name': 'prod', 'deployment.environment': 'old' })).toBe(
      'prod',
    );
    expect(deploymentEnvironment({ 'deployment.environment': 'staging' })).toBe('staging');
    expect(deploymentEnvironment({ 'deployment.environment.name': '', 'deployment.environment': 'staging' })).toBe(
      'staging',
    );
    expect(deploymentEnvironment({})).toBe('');
  });
});
