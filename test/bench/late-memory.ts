/**
 * What one remembered late half costs in memory, for a checkout: the engine on a simulated clock is
 * sent `n` calls from instrumented services to external peers that never answer (as the bench's
 * third-party calls), each expiring into the late memory, and what is live after a full GC (the V8
 * heap and array buffers, `process.memoryUsage()`) is compared with the same run with the late window
 * at 0 (nothing remembered). The difference over the halves held is the bytes per half. The engine's
 * state is taken after each collect, as a durable worker's checkpoint does (so the late memory's
 * halves are templated and placed as in the worker).
 *
 * `node --expose-gc --import tsx test/bench/late-memory.ts [checkout] [n]` (defaults `.`, 200000).
 * A tool for working on the worker, not part of `npm run bench`; a checkout is a directory holding
 * `ingest/` and `src/`.
 */
import { resolve } from 'node:path';

const dir = resolve(process.argv[2] ?? '.');
const n = Number(process.argv[3] ?? 200_000);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc --import tsx');

const { createEngine, engineOptions } = await import(`${dir}/ingest/engine.ts`);
const { defaultConfig } = await import(`${dir}/src/core/config.ts`);
const { SpanKind } = await import(`${dir}/ingest/span.ts`);

const SERVICES = 40;
const PEERS = 25;
const PER_SECOND = 2_000;
const TTL = 10_000;

let counter = 0;
/** a fresh lower-case hex id of `chars` characters (unique, random-looking) */
function id(chars: number): string {
  counter++;
  let out = '';
  let x = Math.imul(counter, 0x9e3779b1) >>> 0;
  while (out.length < chars) {
    x = (Math.imul(x ^ (x >>> 15), 0x85ebca6b) + counter) >>> 0;
    out += x.toString(16).padStart(8, '0');
  }
  return out.slice(0, chars);
}

/** One second of traces: a server span of an instrumented service calling an external peer. */
function second(startMs: number, count: number) {
  const batch = [];
  for (let i = 0; i < count; i++) {
    const s = (counter + i) % SERVICES;
    const traceId = id(32);
    const serverId = id(16);
    const at = startMs + (i % 1000);
    const server = {
      traceId,
      spanId: serverId,
      parentSpanId: '',
      name: `GET /r${s % 7}`,
      kind: SpanKind.SERVER,
      startMs: at,
      endMs: at + 20,
      status: 0,
      attributes: { 'http.request.method': 'GET', 'http.route': `/r${s % 7}` },
      links: [],
    };
    const client = {
      traceId,
      spanId: id(16),
      parentSpanId: serverId,
      name: 'GET',
      kind: SpanKind.CLIENT,
      startMs: at + 1,
      endMs: at + 1 + ((i * 7) % 300),
      status: i % 50 === 0 ? 2 : 0,
      attributes: {
        'http.request.method': 'GET',
        'server.address': `api.peer${(s + i) % PEERS}.example.com`,
        'url.full': `https://api.peer${(s + i) % PEERS}.example.com/v1/x`,
      },
      links: [],
    };
    batch.push({
      resource: { 'service.name': `svc${s}`, 'deployment.environment.name': 'late-mem' },
      scopeSpans: [{ scope: { name: 'bench', version: '1.0.0' }, spans: [server, client] }],
    });
  }
  return { batch, spanCount: count * 2, rejected: [] };
}

function live(): number {
  gc!();
  gc!();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

/** Runs `n` calls through a fresh engine; what it holds after, and how many late halves. */
function run(windowMs: number, count = n): { bytes: number; held: number; cpuMs: number } {
  counter = 0;
  const before = live();
  const config = defaultConfig();
  const engine = createEngine({
    ...engineOptions(config),
    pairingTtlMs: TTL,
    pairingLateWindowMs: windowMs,
    pairingLateMaxEntries: count * 2,
  });
  let clock = 1_700_000_000_000;
  const cpu = process.cpuUsage();
  for (let sent = 0; sent < count; sent += PER_SECOND) {
    engine.ingest(second(clock, Math.min(PER_SECOND, count - sent)), clock);
    clock += 1000;
    engine.collect(clock);
    // As a durable worker does at each flush: the checkpoint takes what changed in the late memory.
    engine.state();
  }
  // Past the TTL: every half still waiting expires into the late memory.
  for (let i = 0; i < 3; i++) {
    clock += TTL;
    engine.collect(clock);
    engine.state();
  }
  const used = process.cpuUsage(cpu);
  const bytes = live() - before;
  const held = engine.stats().late.waiting as number;
  // Kept reachable until measured.
  if (held < 0) console.log(engine);
  return { bytes, held, cpuMs: (used.user + used.system) / 1000 };
}

// What a first run makes once (compiled code, interned names) is not the late memory's.
run(15 * 60_000, Math.min(n, 20_000));
const off = run(0);
const on = run(15 * 60_000);
const mb = (b: number) => (b / 2 ** 20).toFixed(1);
console.log(
  `${dir}: ${on.held} halves held; live ${mb(on.bytes)} MB against ${mb(off.bytes)} MB without the late memory; ` +
    `${((on.bytes - off.bytes) / on.held).toFixed(0)} bytes per half; CPU ${on.cpuMs.toFixed(0)} against ${off.cpuMs.toFixed(0)} ms`,
);
