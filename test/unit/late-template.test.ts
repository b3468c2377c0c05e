/**
 * A late half's template (ingest/late-template.ts): the late memory finds a half's template by
 * comparing it with the last one made for its service and name (`sameTemplate`), not by its text.
 * Whatever the comparison says, the text a half is remembered and checkpointed with must be the
 * text of its own template. A half is first compared with that template without making its own
 * (`fitsTemplate`), which must answer as comparing the one made would.
 */
import { describe, expect, it } from 'vitest';
import { createEngine, engineOptions } from '../../ingest/engine.js';
import { wholeOf, type LateHalf } from '../../ingest/late-pairs.js';
import { fitsTemplate, sameTemplate, templateOf, textOf, type Template } from '../../ingest/late-template.js';
import { SpanKind } from '../../ingest/span.js';
import { defaultConfig } from '../../src/core/config.js';
import { splitCalls, TraceBuilder } from '../support/spans.js';

const options = {
  ...engineOptions(defaultConfig()),
  pairingTtlMs: 10_000,
  pairingLateWindowMs: 15 * 60_000,
  pairingLateMaxEntries: 100_000,
};

/** Expiries of many shapes, each shape many times: errors, versions, environments, names and peers vary. */
function expiredHalves(): LateHalf[] {
  const now = 1_700_000_000_000;
  const engine = createEngine(options);
  for (let i = 0; i < 60; i++) {
    const environment = i % 2 ? 'prod' : 'stage';
    const versions: [string, string] | undefined = i % 4 ? ['1', String(i % 3)] : undefined;
    const startMs = now - 100 + i;
    // Clients whose servers never come, and servers whose clients never come.
    engine.ingest(splitCalls(3, { startMs, errors: i % 3, environment, versions }).clients, now, i);
    engine.ingest(splitCalls(2, { startMs, errors: i % 2, environment }).servers, now, 100 + i);
    // A client to a peer named by attribute, under a few names.
    const t = new TraceBuilder();
    t.span({
      service: 'a',
      kind: SpanKind.CLIENT,
      name: `POST ${i % 3}`,
      startMs,
      error: i % 5 === 0,
      attributes: { 'http.request.method': 'POST', 'server.address': `p${i % 2}.internal` },
    });
    engine.ingest(t.batch(['a']), now, 200 + i);
  }
  engine.collect(now + 20_000);
  // Rebuilt from one object per template, as the memory holds it: halves alike share their parts.
  const parsed = new Map<string, Template>();
  const parse = (text: string) => parsed.get(text) ?? parsed.set(text, JSON.parse(text) as Template).get(text)!;
  return engine.state().late!.halves.map((h) => wholeOf(h, parse));
}

const templateOfHalf = (h: LateHalf): Template => templateOf(h.side, h.half, h.keys, h.credits)!;

describe('late half templates', () => {
  it('remembers each half with the text of its own template, shared by halves alike', () => {
    const halves = expiredHalves();
    expect(halves.length).toBeGreaterThan(300);
    for (const h of halves) expect(h.template).toBe(textOf(templateOfHalf(h)));
    // Halves alike share one template: far fewer texts than halves, yet more than one.
    const texts = new Set(halves.map((h) => h.template));
    expect(texts.size).toBeGreaterThan(10);
    expect(texts.size).toBeLessThan(halves.length / 5);
  });

  it('calls two templates the same only when their texts are the same', () => {
    const templates = expiredHalves().map(templateOfHalf);
    let same = 0;
    let different = 0;
    for (let i = 0; i < templates.length; i += 3)
      for (let j = i + 1; j < templates.length; j += 7) {
        const a = templates[i]!;
        const b = templates[j]!;
        if (sameTemplate(a, b)) {
          same++;
          expect(textOf(a)).toBe(textOf(b));
        } else if (textOf(a) !== textOf(b)) different++;
      }
    // Both answers are exercised, and alike templates made from different halves are found alike.
    expect(same).toBeGreaterThan(100);
    expect(different).toBeGreaterThan(100);
  });

  it('tells a template from one that differs in any part', () => {
    const base = templateOfHalf(expiredHalves().find((h) => h.side === 'client' && h.credits.length > 1)!);
    const copy = (t: Template): Template => ({
      ...t,
      half: { ...t.half },
      credits: t.credits.map((c) =>
        Object.fromEntries(Object.entries(c as object).map(([k, v]) => [k, Array.isArray(v) ? [...v] : v])),
      ),
    });
    expect(sameTemplate(base, copy(base))).toBe(true);
    // The values of the first credit that is a list (a call's ends, error, latency, time).
    const listIn = (t: Template) =>
      t.credits.map((c) => Object.values(c as object)[0] as unknown).find((v) => Array.isArray(v)) as unknown[];
    expect(listIn(base)).toBeDefined();
    const variants: ((t: Template) => void)[] = [
      (t) => (t.side = 'server'),
      (t) => (t.half.name = `${String(t.half.name)}!`),
      (t) => (t.half.service = { ...(t.half.service as object) }),
      (t) => (t.half.extra = 1),
      (t) => delete t.half.protocol,
      (t) => (t.keys = ['x', 'y']),
      (t) => t.credits.pop(),
      (t) => (listIn(t)[0] = 'elsewhere'),
      (t) => listIn(t).push(''),
    ];
    for (const change of variants) {
      const other = copy(base);
      change(other);
      expect([change.toString(), sameTemplate(base, other)]).toEqual([change.toString(), false]);
    }
  });

  it('tells whether a half fits a template without making one, as comparing the made one does', () => {
    const halves = expiredHalves();
    const templates = halves.map(templateOfHalf);
    let fits = 0;
    let not = 0;
    for (let i = 0; i < halves.length; i += 3)
      for (let j = i % 5; j < halves.length; j += 7) {
        const h = halves[j]!;
        const fit = fitsTemplate(templates[i]!, h.side, h.half, h.keys, h.credits);
        expect(fit).toBe(sameTemplate(templates[i]!, templateOfHalf(h)));
        if (fit) fits++;
        else not++;
      }
    expect(fits).toBeGreaterThan(100);
    expect(not).toBeGreaterThan(100);
  });

  it('tells a half from its template when any part of it differs', () => {
    const halves = expiredHalves();
    const changes: ((h: LateHalf) => void)[] = [
      (h) => (h.side = h.side === 'client' ? 'server' : 'client'),
      (h) => (h.half.name = `${h.half.name}!`),
      (h) => (h.half.service = { ...h.half.service }),
      (h) => (h.half.protocol = 'other'),
      (h) => (h.half.origin = h.half.origin + 1),
      (h) => (h.half.traceId = 'f'.repeat(32)),
      (h) => (h.half.spanId = 'f'.repeat(16)),
      (h) => (h.half.parentSpanId = 'e'.repeat(16)),
      (h) => (h.half.error = !h.half.error),
      (h) => (h.half.latencyMs = h.half.latencyMs + 1),
      (h) => (h.half.at = h.half.at + 1),
      (h) => (h.keys = [...h.keys, h.keys[0]!]),
      (h) => h.credits.pop(),
      (h) => (h.credits = h.credits.map((c) => ('v' in c ? { v: `${c.v}!` } : c))),
      (h) => (h.half.kind = h.half.kind === SpanKind.CLIENT ? SpanKind.SERVER : SpanKind.CLIENT),
      (h) => (h.half.op = h.half.op ? undefined : ({ ...h.half.service, kind: 'SERVER' } as never)),
      (h) => (h.half.destination = {} as never),
      (h) => (h.half.callee = {} as never),
      (h) => (h.half.calleeOp = {} as never),
      (h) => (h.half.externalCaller = {} as never),
      // A credit's value that is not the half's own (a call's other end).
      (h) =>
        (h.credits = h.credits.map((c) =>
          'e' in c ? { e: [c.e[0], `${c.e[1]}!`, ...c.e.slice(2)] as typeof c.e } : c,
        )),
    ];
    let told = 0;
    for (const h of halves.filter((_, i) => i % 9 === 0)) {
      const own = templateOfHalf(h);
      expect(fitsTemplate(own, h.side, h.half, h.keys, h.credits)).toBe(true);
      // A template read back from a checkpoint's text: fitting it would have to mean the same text.
      const parsed = JSON.parse(textOf(own)!) as Template;
      if (fitsTemplate(parsed, h.side, h.half, h.keys, h.credits)) expect(textOf(parsed)).toBe(textOf(own));
      for (const change of changes) {
        const other: LateHalf = { ...h, half: { ...h.half }, keys: [...h.keys], credits: [...h.credits] };
        change(other);
        const made = templateOf(other.side, other.half, other.keys, other.credits);
        const fit = fitsTemplate(own, other.side, other.half, other.keys, other.credits);
        expect([change.toString(), fit]).toEqual([change.toString(), made !== undefined && sameTemplate(own, made)]);
        if (!fit) told++;
      }
    }
    expect(told).toBeGreaterThan(halves.length / 9);
  });
});
