/**
 * The topology page in real headless Chromium (test/support/browser.ts says which): a graph
 * seeded through the real ingest pipeline into the real Neo4j, in an environment of its own, served by
 * the real API; the page draws its components by kind and its edges by health, searches, and a click on
 * a node opens the component's detail. A screenshot goes to test-results/ for a person to look at.
 */
import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import type { Core } from 'cytoscape';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SpanKind } from '../../ingest/span.js';
import { createAuthenticator } from '../../src/core/auth.js';
import { createApi } from '../../src/api/yoga.js';
import { apiConfig } from '../support/api.js';
import { launchBrowser, type TestBrowser } from '../support/browser.js';
import { seed, fileGraph, uniqueName } from '../support/graph.js';
import { ROOT } from '../support/processes.js';
import { ORDERS_QUERY, TraceBuilder } from '../support/spans.js';

const env = uniqueName('ui');
/** An environment that changed: web called old three hours before it called new (api all along). */
const changed = uniqueName('ui-time');
const NOW = Date.now();
const EARLIER = NOW - 3 * 3_600_000;
const graph = fileGraph();
let server: Server;
let chromium: TestBrowser;
let browser: BrowserContext;
let page: Page;
let url: string;

beforeAll(async () => {
  // gateway → checkout → payments (half of the calls fail), checkout → orders-db, checkout → orders topic → shipping.
  const batches = [];
  for (let i = 0; i < 4; i++) {
    const t = new TraceBuilder();
    const res = { 'deployment.environment.name': env };
    const g = t.server('gateway', '/checkout', { resource: res });
    const gc = t.client('gateway', { parent: g, resource: res });
    const c = t.server('checkout', '/checkout', {
      parent: gc,
      resource: res,
      scope: { name: '@opentelemetry/instrumentation-http', version: '0.223.0' },
    });
    t.span({ service: 'checkout', parent: c, resource: res, ...ORDERS_QUERY });
    const cp = t.client('checkout', { parent: c, resource: res, error: i % 2 === 0 });
    t.server('payments', '/pay', { parent: cp, resource: res, error: i % 2 === 0 });
    const pub = t.span({
      service: 'checkout',
      kind: SpanKind.PRODUCER,
      name: 'orders publish',
      parent: c,
      resource: res,
      attributes: { 'messaging.system': 'kafka', 'messaging.destination.name': 'orders' },
    });
    t.span({
      service: 'shipping',
      kind: SpanKind.CONSUMER,
      name: 'orders process',
      parent: pub,
      resource: res,
      attributes: { 'messaging.system': 'kafka', 'messaging.destination.name': 'orders' },
    });
    batches.push(t.batch(['shipping', 'payments']), t.batch(['checkout', 'gateway']));
  }
  for (const [at, callees] of [
    [EARLIER, ['api', 'old']],
    [NOW - 1000, ['api', 'new']],
  ] as const) {
    const t = new TraceBuilder();
    const res = { 'deployment.environment.name': changed };
    for (const callee of callees) {
      const c = t.span({ service: 'web', kind: SpanKind.CLIENT, name: 'GET', resource: res, startMs: at });
      t.span({ service: callee, kind: SpanKind.SERVER, name: 'GET /x', parent: c, resource: res, startMs: at + 1 });
    }
    batches.push(t.batch());
  }
  await seed(graph, batches);

  const api = createApi({ graph, config: apiConfig(), ready: async () => true });
  server = createServer(api);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}/ui?environment=${encodeURIComponent(env)}`;

  chromium = await launchBrowser();
  browser = chromium.context;
  page = browser.pages()[0] ?? (await browser.newPage());
});

afterAll(async () => {
  await chromium?.close();
  await new Promise((r) => server?.close(r));
  await graph?.close();
});

/** What the page exposes for tests and for poking at in the console. */
interface PageWindow {
  topograph: { cy: Core };
}

interface Drawn {
  label: string;
  kind: string;
  shape: string;
}

describe('topology page', () => {
  it('draws the components of the environment by kind, edges by health, and opens a detail on click', async () => {
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
    await page.goto(url);
    await page.waitForSelector('body[data-state="ready"]');

    const nodes = await page.evaluate(() =>
      (window as unknown as PageWindow).topograph.cy
        .nodes()
        .map((n) => ({ label: n.data('label'), kind: n.data('kind'), shape: n.style('shape') })),
    );
    expect((nodes as Drawn[]).sort((a, b) => a.label.localeCompare(b.label))).toEqual([
      { label: 'checkout', kind: 'SERVICE', shape: 'round-rectangle' },
      { label: 'gateway', kind: 'SERVICE', shape: 'round-rectangle' },
      { label: 'orders', kind: 'MESSAGING_DESTINATION', shape: 'rhomboid' },
      { label: 'orders-db', kind: 'DATABASE', shape: 'barrel' },
      { label: 'payments', kind: 'SERVICE', shape: 'round-rectangle' },
      { label: 'shipping', kind: 'SERVICE', shape: 'round-rectangle' },
    ]);
    const edges = (await page.evaluate(() =>
      (window as unknown as PageWindow).topograph.cy
        .edges()
        .map(
          (e) =>
            `${e.source().data('label')}->${e.target().data('label')} ${e.data('calls')}/${e.data('errors')} ${e.style('line-color')}`,
        ),
    )) as string[];
    expect(edges.sort()).toEqual([
      'checkout->orders 4/0 rgb(39,174,96)',
      'checkout->orders-db 4/0 rgb(39,174,96)',
      'checkout->payments 4/2 rgb(235,87,87)',
      'gateway->checkout 4/0 rgb(39,174,96)',
      'orders->shipping 4/0 rgb(39,174,96)',
    ]);
    expect(await page.locator('#environment').inputValue()).toBe(env);
    expect(await page.locator('#status').textContent()).toBe('6 components, 5 edges');

    // A real click on the canvas, where Cytoscape drew the node.
    const box = (await page.locator('#map').boundingBox())!;
    const at = (await page.evaluate(() => {
      const cy = (window as unknown as PageWindow).topograph.cy;
      return cy
        .nodes()
        .filter((n) => n.data('label') === 'checkout')
        .nodes()
        .first()
        .renderedPosition();
    })) as { x: number; y: number };
    await page.mouse.click(box.x + at.x, box.y + at.y);
    await page.waitForSelector('#detail[data-component="checkout"]');
    const detail = await page.locator('#detail').innerText();
    expect(detail).toContain('GET /checkout');
    expect(detail).toMatch(/Operations \(1\)/i);
    expect(detail).toMatch(/Dependents \(1\)\s*gateway service\s*direct/i);
    expect(detail).toMatch(/payments service\s*4 calls, 2 errors/i);
    expect(detail).toMatch(/@opentelemetry\/instrumentation-http\s*0\.223\.0/);

    await page.fill('#search', 'pay');
    const matched = await page.evaluate(() =>
      (window as unknown as PageWindow).topograph.cy.nodes('.match').map((n) => n.data('label')),
    );
    expect(matched).toEqual(['payments']);
    await page.fill('#search', '');

    mkdirSync(join(ROOT, 'test-results'), { recursive: true });
    await page.screenshot({ path: join(ROOT, 'test-results/topology-page.png') });
    expect(problems).toEqual([]);
  });

  it('with auth on, asks for a read token once and then draws the map', async () => {
    const token = 'ui-read-token-0123456789';
    const secured = createApi({
      graph,
      config: apiConfig(),
      ready: async () => true,
      auth: createAuthenticator({ enabled: true, tokens: [{ name: 'ui', token, scopes: ['read'] }] }),
    });
    const securedServer = createServer(secured);
    await new Promise<void>((r) => securedServer.listen(0, '127.0.0.1', r));
    const port = (securedServer.address() as { port: number }).port;
    const prompts: string[] = [];
    const tab = await browser.newPage();
    tab.on('dialog', (d) => {
      prompts.push(d.message());
      void d.accept(token);
    });
    try {
      await tab.goto(`http://127.0.0.1:${port}/ui?environment=${encodeURIComponent(env)}`);
      await tab.waitForSelector('body[data-state="ready"]');
      expect(await tab.locator('#status').textContent()).toBe('6 components, 5 edges');
      expect(prompts).toHaveLength(1);
      expect(prompts[0]).toMatch(/token/i);
    } finally {
      await tab.close();
      await new Promise((r) => securedServer.close(r));
    }
  });
});

describe('time control', () => {
  const drawn = (tab: Page) =>
    tab.evaluate(() => {
      const cy = (window as unknown as PageWindow).topograph.cy;
      const change = (e: { hasClass(c: string): boolean }) =>
        e.hasClass('added') ? ' added' : e.hasClass('removed') ? ' removed' : '';
      return [
        ...cy.nodes().map((n) => `${n.data('label')}${change(n)}`),
        ...cy.edges().map((e) => `${e.source().data('label')}->${e.target().data('label')}${change(e)}`),
      ].sort();
    });

  it('shows the map at a chosen time, compared with an earlier hour: added and removed highlighted', async () => {
    const tab = await browser.newPage();
    try {
      const at = new Date(NOW - 1000).toISOString();
      await tab.goto(`${new URL(url).origin}/ui?environment=${encodeURIComponent(changed)}&at=${at}&compare=3`);
      await tab.waitForSelector('body[data-state="ready"]');
      expect(await drawn(tab)).toEqual([
        'api',
        'new added',
        'old removed',
        'web',
        'web->api',
        'web->new added',
        'web->old removed',
      ]);
      expect(await tab.locator('#status').textContent()).toBe(
        '3 components, 2 edges · added 1 components, 1 edges; removed 1 components, 1 edges',
      );
      expect(await tab.locator('#compare').inputValue()).toBe('3');
      // The `at` input shows the time asked, to the minute, in the browser's own time zone.
      const shown = await tab.locator('#at').inputValue();
      expect(Math.abs(new Date(shown).getTime() - (NOW - 1000))).toBeLessThan(60_000);
      await tab.screenshot({ path: join(ROOT, 'test-results/topology-page-diff.png') });

      // No comparison: the map of that hour alone, nothing marked.
      await tab.selectOption('#compare', '');
      await tab.waitForFunction(() => document.querySelector('#status')?.textContent === '3 components, 2 edges');
      expect(await drawn(tab)).toEqual(['api', 'new', 'web', 'web->api', 'web->new']);
      expect(new URL(tab.url()).searchParams.get('compare')).toBeNull();

      // Three hours earlier: old was there, new was not.
      await tab.evaluate((t) => {
        const input = document.querySelector('#at') as HTMLInputElement;
        const d = new Date(t);
        input.value = new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
        input.dispatchEvent(new Event('change'));
      }, EARLIER);
      await tab.waitForFunction(
        () => document.querySelector('body')?.dataset.state === 'ready' && window.location.search.includes('at='),
      );
      await expect.poll(() => drawn(tab)).toEqual(['api', 'old', 'web', 'web->api', 'web->old']);
    } finally {
      await tab.close();
    }
  });
});

describe('served from this server alone', () => {
  it(
    'GraphiQL runs an example query and the page draws its map with every other host cut off',
    { timeout: 90_000 },
    async () => {
      const origin = new URL(url).origin;
      const elsewhere: string[] = [];
      const tab = await browser.newPage();
      // The network beyond this server does not exist for this tab: anything the pages ask of it fails.
      await tab.route('**/*', (route) => {
        const asked = route.request().url();
        if (new URL(asked).origin === origin) return route.continue();
        elsewhere.push(asked);
        return route.abort('internetdisconnected');
      });
      try {
        await tab.goto(`${origin}/graphql`);
        // The example queries are in the editor; running asks which operation, and Services is the first.
        await tab.locator('.graphiql-execute-button').click();
        const answered = tab.waitForResponse((r) => r.url() === `${origin}/graphql` && r.request().method() === 'POST');
        await tab.locator('.graphiql-dropdown-item', { hasText: /^Services$/ }).click();
        const body = (await (await answered).json()) as {
          data: { services: { edges: { node: { name: string; environment: string } }[] } };
        };
        expect(body.data.services.edges.length).toBeGreaterThan(0);
        const first = body.data.services.edges[0]!.node;
        // The result pane shows what the server answered (its first lines, the ones on screen; the
        // editor draws spaces as no-break spaces).
        const shown = async () => (await tab.locator('.graphiql-response').innerText()).replace(/\u00a0/g, ' ');
        await expect
          .poll(shown, { timeout: 10_000 })
          .toMatch(new RegExp(`"data"[\\s\\S]*"services"[\\s\\S]*"environment": "${first.environment}"`));

        await tab.goto(url);
        await tab.waitForSelector('body[data-state="ready"]');
        expect(await tab.locator('#status').textContent()).toBe('6 components, 5 edges');
        expect(elsewhere).toEqual([]);
      } finally {
        await tab.close();
      }
    },
  );
});
