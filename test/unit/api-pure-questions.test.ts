/**
 * The pure parts behind the API's questions: simple paths, the correlation rule, Mermaid and DOT.
 */
import { describe, expect, it } from 'vitest';
import { correlate, twoProportionZ } from '../../src/api/graphql/correlate.js';
import { dotString, mermaidLabel, toDot, toMermaid } from '../../src/api/graphql/render-topology.js';
import { simplePaths } from '../../src/api/graphql/simple-paths.js';

describe('simplePaths', () => {
  const edges: [string, string][] = [
    ['a', 'b'],
    ['b', 'c'],
    ['a', 'c'],
    ['c', 'a'],
    ['b', 'd'],
    ['d', 'c'],
    ['c', 'e'],
  ];

  it('lists every simple path, shortest first, never a node twice', () => {
    expect(simplePaths(edges, ['a'], ['c'], 6, 100)).toEqual([
      ['a', 'c'],
      ['a', 'b', 'c'],
      ['a', 'b', 'd', 'c'],
    ]);
  });

  it('respects maxDepth and the cap', () => {
    expect(simplePaths(edges, ['a'], ['c'], 2, 100)).toEqual([
      ['a', 'c'],
      ['a', 'b', 'c'],
    ]);
    expect(simplePaths(edges, ['a'], ['c'], 6, 2)).toHaveLength(2);
  });

  it('finds nothing backwards, to itself or to an unreachable node', () => {
    expect(simplePaths(edges, ['e'], ['a'], 6, 100)).toEqual([]);
    expect(simplePaths(edges, ['a'], ['a'], 6, 100)).toEqual([]);
    expect(simplePaths(edges, ['a'], ['zz'], 6, 100)).toEqual([]);
  });

  it('stays bounded on a dense graph: the cap stops the enumeration', () => {
    const dense: [string, string][] = [];
    for (let i = 0; i < 30; i++) for (let j = 0; j < 30; j++) if (i !== j) dense.push([`n${i}`, `n${j}`]);
    const paths = simplePaths(dense, ['n0'], ['n29'], 6, 100);
    expect(paths).toHaveLength(100);
    expect(paths[0]).toEqual(['n0', 'n29']);
    for (const p of paths) expect(new Set(p).size).toBe(p.length);
  });
});

describe('correlate', () => {
  it('computes the pooled two-proportion z-score', () => {
    // p1 = .5 (n 20), p0 = 0 (n 40), pooled 1/6
    expect(twoProportionZ(10, 20, 0, 40)).toBeCloseTo(0.5 / Math.sqrt((1 / 6) * (5 / 6) * (3 / 40)), 10);
    expect(twoProportionZ(0, 0, 1, 10)).toBe(0);
    expect(twoProportionZ(0, 10, 0, 10)).toBe(0);
  });

  it('keeps a value only with support, a comparison, lift and significance', () => {
    const baseline = { calls: 1000, errors: 60 };
    const found = correlate(baseline, [
      { key: 'tenant', value: 'bad', calls: 100, errors: 40 },
      { key: 'tenant', value: 'few', calls: 10, errors: 9 },
      { key: 'tenant', value: 'usual', calls: 500, errors: 10 },
      { key: 'region', value: 'all', calls: 1000, errors: 60 },
    ]);
    expect(found.map((c) => c.value)).toEqual(['bad']);
    expect(found[0]).toMatchObject({ calls: 100, errors: 40, restCalls: 900, restErrors: 20 });
    expect(found[0]!.lift).toBeCloseTo(0.4 / (20 / 900), 10);
  });

  it('a small lift is not enough, however many calls', () => {
    const found = correlate({ calls: 200_000, errors: 11_000 }, [
      { key: 'k', value: 'v', calls: 100_000, errors: 6_000 },
    ]);
    expect(found).toEqual([]);
  });
});

describe('rendering', () => {
  const nodes = [
    { key: 's', name: 'check"out', kind: 'SERVICE', environment: 'prod' },
    { key: 'd', name: 'db<1>', kind: 'DATABASE', environment: 'prod' },
  ];
  const edges = [{ from: 's', to: 'd', calls: 3, errors: 1 }];

  it('escapes labels', () => {
    expect(mermaidLabel('a"b#c<d>`e')).toBe('"a#quot;b#35;c#lt;d#gt;#96;e"');
    expect(dotString('a"b\\c\nd')).toBe('"a\\"b\\\\c\\nd"');
  });

  it('renders one flowchart line per node and edge', () => {
    expect(toMermaid(nodes, edges)).toBe(
      ['flowchart LR', '  n0["check#quot;out"]', '  n1[("db#lt;1#gt;")]', '  n0 -->|"3 calls, 1 errors"| n1', ''].join(
        '\n',
      ),
    );
    expect(toDot(nodes, edges)).toBe(
      [
        'digraph topology {',
        '  rankdir=LR;',
        '  n0 [label="check\\"out", shape=box];',
        '  n1 [label="db<1>", shape=cylinder];',
        '  n0 -> n1 [label="3 calls, 1 errors", color=red];',
        '}',
        '',
      ].join('\n'),
    );
  });

  it('puts several environments in subgraphs', () => {
    const two = [...nodes, { key: 'x', name: 'x', kind: 'EXTERNAL', environment: 'staging' }];
    expect(toMermaid(two, [])).toContain('  subgraph env1["staging"]\n    n2(["x"])\n  end');
    expect(toDot(two, [])).toContain('  subgraph cluster_1 {\n    label="staging";');
  });
});
