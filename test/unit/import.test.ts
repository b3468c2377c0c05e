/**
 * importFiles without a database: what reaches the sink for a file, with the environment override,
 * time rebasing, progress, rejected spans, refused files and dependency links.
 */
import { describe, expect, it } from 'vitest';
import { importFiles, formatResult, type ImportFile } from '../../ingest/import.js';
import type { DependencyLinkRow, LinkSink } from '../../ingest/writer.js';
import type { ComponentRow } from '../../ingest/aggregate.js';
import { engineOptions } from '../../ingest/engine.js';
import { defaultConfig } from '../../src/core/config.js';
import { captureSink } from '../support/capture.js';
import { fixtureText } from '../support/fixtures.js';

const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);
const file = (name: string, text: string): ImportFile => ({ name, read: async () => text });

function linkSink() {
  const written: { services: ComponentRow[]; links: DependencyLinkRow[] }[] = [];
  const sink: LinkSink = {
    writeLinks: async (services, links) => {
      written.push({ services, links });
    },
  };
  return { sink, written };
}

function run(files: ImportFile[], extra: { environment?: string; rebaseTime?: boolean; chunkSpans?: number } = {}) {
  const sink = captureSink();
  const links = linkSink();
  const progress: string[] = [];
  const result = importFiles({
    files,
    sink,
    links: links.sink,
    options: engineOptions(defaultConfig()),
    limits: defaultConfig().limits.decode,
    now: () => NOW,
    onProgress: (p) => progress.push(`${p.done}/${p.total}`),
    ...extra,
  });
  return { sink, links, progress, result };
}

describe('importFiles', () => {
  it('sets the environment on every resource and rebases time so the newest span ends now', async () => {
    const { sink, result } = run([file('shop.zipkin.json', fixtureText('traces/shop.zipkin.json'))], {
      environment: 'staging',
      rebaseTime: true,
    });
    const r = await result;
    expect(r.files).toEqual([{ file: 'shop.zipkin.json', spans: 12, rejected: [] }]);
    expect(sink.all.services.map((s) => [s.name, s.environment])).toEqual([
      ['api', 'staging'],
      ['web', 'staging'],
      ['worker', 'staging'],
    ]);
    expect(Math.max(...sink.all.services.map((s) => s.lastSeen))).toBe(NOW);
    expect(sink.edges()).toEqual({
      'web -> api': { calls: 2, errors: 1 },
      'api -> orders-db': { calls: 2, errors: 0 },
      'api -> orders': { calls: 2, errors: 0 },
      'orders -> worker': { calls: 2, errors: 0 },
    });
  });

  it('keeps the file’s own times without --rebase-time', async () => {
    const { sink, result } = run([file('shop.zipkin.json', fixtureText('traces/shop.zipkin.json'))]);
    await result;
    expect(Math.max(...sink.all.services.map((s) => s.lastSeen))).toBeLessThan(Date.UTC(2020, 0, 1));
  });

  it('reports progress chunk by chunk on long files', async () => {
    const { progress, result } = run([file('shop.zipkin.json', fixtureText('traces/shop.zipkin.json'))], {
      chunkSpans: 5,
    });
    await result;
    expect(progress).toEqual(['5/12', '10/12', '12/12']);
  });

  it('pairs calls across files of one import, and drains at the end', async () => {
    const text = JSON.parse(fixtureText('traces/shop.zipkin.json')) as { localEndpoint: { serviceName: string } }[];
    const a = text.filter((s) => s.localEndpoint.serviceName === 'web');
    const b = text.filter((s) => s.localEndpoint.serviceName !== 'web');
    const { sink, result } = run([file('a.json', JSON.stringify(a)), file('b.json', JSON.stringify(b))]);
    await result;
    expect(Object.keys(sink.edges())).toContain('web -> api');
  });

  it('reports rejected spans and refused files with clear messages, and goes on', async () => {
    const { result } = run([
      file('unnamed.zipkin.json', fixtureText('traces/unnamed.zipkin.json')),
      file('notes.txt', 'hello'),
    ]);
    const r = await result;
    expect(formatResult(r.files[0]!)).toEqual([
      'unnamed.zipkin.json: 0 spans imported, 1 rejected',
      expect.stringMatching(/^ {2}rejected \[0\]: span aa01000000000001 has no service name/),
    ]);
    expect(formatResult(r.files[1]!)).toEqual([expect.stringMatching(/^refused: notes\.txt: not JSON/)]);
  });

  it('writes dependency links as service → service rows with their call counts, repeated pairs summed', async () => {
    const doc = [
      { parent: 'a', child: 'b', callCount: 3 },
      { parent: 'a', child: 'b', callCount: 4 },
      { parent: 'b', child: 'c', callCount: 1 },
    ];
    const { links, result } = run([file('deps.json', JSON.stringify(doc))], { environment: 'prod' });
    const r = await result;
    expect(r.files).toEqual([{ file: 'deps.json', spans: 0, rejected: [], links: 3 }]);
    expect(links.written).toHaveLength(1);
    expect(links.written[0]!.services.map((s) => [s.name, s.environment])).toEqual([
      ['a', 'prod'],
      ['b', 'prod'],
      ['c', 'prod'],
    ]);
    expect(links.written[0]!.links.map((l) => l.calls)).toEqual([7, 1]);
  });
});
