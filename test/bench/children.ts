/** Child processes of the benchmark (the sender, the worker), spoken to over IPC. */
import { fork, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));

export interface BenchChild {
  process: ChildProcess;
  /** sends a message and resolves with the next one the child sends back */
  ask<T>(message: unknown): Promise<T>;
  next<T>(): Promise<T>;
  kill(): void;
}

export function forkTs(
  file: string,
  args: string[],
  env: Record<string, string> = {},
  execArgv: string[] = [],
): BenchChild {
  const child = fork(join(HERE, file), args, {
    execArgv: ['--import', 'tsx', ...execArgv],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const next = <T>() =>
    new Promise<T>((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`${file} exited with ${code}`));
      child.once('exit', onExit);
      child.once('message', (m) => {
        child.off('exit', onExit);
        const msg = m as { ok?: boolean; error?: string };
        if (msg.ok === false) reject(new Error(`${file}: ${msg.error}`));
        else resolve(m as T);
      });
    });
  return {
    process: child,
    next,
    ask<T>(message: unknown) {
      const reply = next<T>();
      child.send(message as object);
      return reply;
    },
    kill: () => {
      if (child.exitCode === null) child.kill('SIGTERM');
    },
  };
}
