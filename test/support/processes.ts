/** Starting the project's real processes (and test fixtures) as children, on free loopback ports. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

export interface Child {
  process: ChildProcess;
  output(): string;
  /** SIGTERM, then wait for the exit */
  stop(): Promise<void>;
}

/** Runs a TypeScript file of the repo with tsx; resolves once its output matches `readyWhen`. */
export function startTs(
  file: string,
  env: Record<string, string>,
  readyWhen: RegExp,
  timeoutMs = 60_000,
): Promise<Child> {
  return startProcess(
    process.execPath,
    ['--import', 'tsx', join(ROOT, file)],
    {
      TOPOGRAPH_LOG_PRETTY: '0',
      // A worker of its own spool: workers of concurrent tests must never share one.
      TOPOGRAPH_SPOOL_DIR: mkdtempSync(join(tmpdir(), 'topograph-spool-')),
      ...env,
    },
    readyWhen,
    timeoutMs,
  );
}

/** Runs any program (the environment added to this one's); resolves once its output matches `readyWhen`. */
export function startProcess(
  command: string,
  args: string[],
  env: Record<string, string>,
  readyWhen: RegExp,
  timeoutMs = 60_000,
): Promise<Child> {
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const name = args.at(-1) ?? command;
  let out = '';
  const handle: Child = {
    process: child,
    output: () => out,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${name} did not become ready within ${timeoutMs} ms:\n${out}`));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      if (readyWhen.test(out)) {
        clearTimeout(timer);
        resolve(handle);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${code} before it was ready:\n${out}`));
    });
  });
}

export interface Topograph {
  worker: Child;
  api: Child;
  ports: { otlpHttp: number; otlpGrpc: number; zipkin: number; api: number };
  /** the API's GraphQL endpoint */
  graphql: string;
  stop(): Promise<void>;
}

/**
 * The worker and the API as processes on free ports, both with `env`, the API also with what
 * `apiEnv` gives for the ports chosen; resolves once every receiver and the API listen.
 */
export async function startTopograph(
  env: Record<string, string>,
  apiEnv: (ports: Topograph['ports']) => Record<string, string> = () => ({}),
): Promise<Topograph> {
  const [otlpHttp, otlpGrpc, zipkin, api] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const ports = { otlpHttp, otlpGrpc, zipkin, api };
  const worker = await startTs(
    'ingest/main.ts',
    {
      ...env,
      TOPOGRAPH_OTLP_HTTP_PORT: String(otlpHttp),
      TOPOGRAPH_OTLP_GRPC_PORT: String(otlpGrpc),
      TOPOGRAPH_ZIPKIN_PORT: String(zipkin),
    },
    /Zipkin receiver on[\s\S]*OTLP\/gRPC receiver on|OTLP\/gRPC receiver on[\s\S]*Zipkin receiver on/,
  );
  const apiChild = await startTs(
    'src/api/main.ts',
    { ...env, TOPOGRAPH_API_PORT: String(api), ...apiEnv(ports) },
    /GraphQL API/,
  ).catch(async (error: unknown) => {
    await worker.stop();
    throw error;
  });
  return {
    worker,
    api: apiChild,
    ports,
    graphql: `http://127.0.0.1:${api}/graphql`,
    stop: async () => void (await Promise.all([worker.stop(), apiChild.stop()])),
  };
}

/** Resolves with the exit code once `c` has exited (at once if it already has). */
export function exited(c: Child): Promise<number | null> {
  return new Promise((resolve) => {
    if (c.process.exitCode !== null || c.process.signalCode !== null) resolve(c.process.exitCode);
    else c.process.once('exit', (code) => resolve(code));
  });
}

/** Polls `probe` until it returns a value, or throws after `timeoutMs` with the last value seen. */
export async function eventually<T>(
  probe: () => Promise<T | undefined>,
  timeoutMs = 30_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (error) {
      last = error;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

/** SIGKILL: gone at once, nothing flushed; resolves once it has exited. */
export async function killHard(c: Child): Promise<void> {
  const gone = exited(c);
  c.process.kill('SIGKILL');
  await gone;
}

/** SIGTERM (a clean stop: drain, checkpoint), resolving with the exit code. */
export function terminate(c: Child): Promise<number | null> {
  const code = exited(c);
  c.process.kill('SIGTERM');
  return code;
}
