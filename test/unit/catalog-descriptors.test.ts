/** Reading Backstage descriptors (ingest/catalog/descriptors.ts): references, fields kept, declared dependencies. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { declaredDependencies, parseRef, readCatalogYaml, readEntities } from '../../ingest/catalog/descriptors.js';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/catalog/${name}`, import.meta.url), 'utf8');

describe('entity references', () => {
  it("fills in the field's default kind and the entity's namespace, and lowers kind and namespace", () => {
    expect(parseRef('team-a', { kind: 'group', namespace: 'default' })).toMatchObject({
      ref: 'group:default/team-a',
    });
    expect(parseRef('User:Ops/Jane.Doe', { kind: 'group', namespace: 'default' })).toMatchObject({
      ref: 'user:ops/jane.doe',
      name: 'Jane.Doe',
    });
    expect(parseRef('resource:db', { namespace: 'payments' })).toMatchObject({ ref: 'resource:payments/db' });
  });

  it('refuses what is not a reference, saying why', () => {
    expect(parseRef('db', { namespace: 'default' })).toBe('"db" has no kind (write it as kind:name, e.g. resource:db)');
    expect(parseRef('resource:-db', { namespace: 'default' })).toMatch(/is not an entity reference/);
    expect(parseRef(42, { kind: 'group', namespace: 'default' })).toBe('42 is not an entity reference');
    expect(parseRef('component:' + 'a'.repeat(64), { namespace: 'default' })).toMatch(/is not an entity reference/);
  });
});

describe('catalog-info.yaml', () => {
  it('keeps Components, Resources, Systems and Groups, and counts the kinds it ignores', () => {
    const r = readCatalogYaml(fixture('shop.yaml'), 'shop.yaml');
    expect(r.problems).toEqual([]);
    expect(r.ignored).toEqual({ API: 2 });
    expect(r.entities.map((e) => e.ref)).toEqual([
      'system:default/shop',
      'group:default/shop-team',
      'group:default/payments-team',
      'component:default/gateway',
      'component:default/checkout',
      'component:default/payments-service',
      'component:default/fraud-check',
      'resource:default/orders-db',
    ]);
    expect(r.entities.find((e) => e.name === 'payments-service')).toEqual({
      ref: 'component:default/payments-service',
      kind: 'Component',
      namespace: 'default',
      name: 'payments-service',
      matchName: 'payments',
      title: null,
      type: 'service',
      owner: 'group:default/payments-team',
      system: 'system:default/shop',
      lifecycle: 'production',
      dependsOn: ['component:default/fraud-check'],
      providesApis: ['api:default/payments-api'],
      consumesApis: [],
    });
  });

  it('declares dependsOn and, for each consumed API, a dependency on its providers', () => {
    const { entities } = readCatalogYaml(fixture('shop.yaml'), 'shop.yaml');
    expect(declaredDependencies(entities)).toEqual({
      dependencies: [
        { from: 'component:default/gateway', to: 'component:default/checkout', via: 'api:default/checkout-api' },
        { from: 'component:default/checkout', to: 'resource:default/orders-db', via: 'dependsOn' },
        {
          from: 'component:default/checkout',
          to: 'component:default/payments-service',
          via: 'api:default/payments-api',
        },
        { from: 'component:default/payments-service', to: 'component:default/fraud-check', via: 'dependsOn' },
      ],
      unprovidedApis: [],
    });
  });

  it('names an API consumed that nobody provides, and never declares a dependency on oneself', () => {
    const entity = (name: string, spec: object) => ({
      value: { apiVersion: 'backstage.io/v1alpha1', kind: 'Component', metadata: { name }, spec },
      where: name,
    });
    const { entities } = readEntities([
      entity('a', { consumesApis: ['orphan-api', 'own-api'], providesApis: ['own-api'], dependsOn: ['component:a'] }),
    ]);
    expect(declaredDependencies(entities)).toEqual({ dependencies: [], unprovidedApis: ['api:default/orphan-api'] });
  });

  it('refuses each mistake alone, keeping the rest of the file', () => {
    const r = readCatalogYaml(fixture('mistakes.yaml'), 'mistakes.yaml');
    expect(r.entities.map((e) => [e.ref, e.dependsOn])).toEqual([
      ['component:default/search', ['component:default/index']],
      ['component:default/index', []],
    ]);
    expect(r.ignored).toEqual({ Template: 1 });
    expect(r.problems).toHaveLength(5);
    expect(r.problems[0]).toMatch(/^mistakes.yaml: document 2: malformed YAML: /);
  });

  it('reads a document that is not an entity as a problem, and an empty one as nothing', () => {
    const r = readCatalogYaml('- just\n- a list\n---\n---\n', 'odd.yaml');
    expect(r.entities).toEqual([]);
    expect(r.problems).toEqual([
      'odd.yaml: document 1: not a catalog entity (needs apiVersion, kind, metadata and spec)',
    ]);
  });
});
