/**
 * CPU time and bytes written to disk of the local Neo4j process, read from /proc, so the ingest bench
 * can say what each span costs the database as well as the worker. Found as the process listening on
 * the Bolt port of the URI; undefined when Neo4j runs elsewhere (or not on Linux), and the figures
 * are then left out. Other clients of a shared server are counted too: compare runs side by side.
 */
import { readFileSync } from 'node:fs';
import { cpuSeconds, pidListeningOn } from './proc-cpu.js';

export interface ServerUsage {
  /** user + system CPU, µs */
  cpuUs: number;
  /** bytes the process caused to be written to storage (transaction log, store files) */
  writeBytes: number;
}

export function readUsage(pid: number): ServerUsage {
  const io = readFileSync(`/proc/${pid}/io`, 'utf8');
  const writeBytes = Number(/write_bytes:\s*(\d+)/.exec(io)?.[1] ?? 0);
  return { cpuUs: cpuSeconds(pid) * 1e6, writeBytes };
}

/** Usage of the Neo4j process behind `uri` from now on; `since()` gives the difference, or undefined when not local. */
export function neo4jUsageMeter(uri: string): { since(): ServerUsage | undefined } {
  let pid: number | undefined;
  let start: ServerUsage | undefined;
  try {
    const url = new URL(uri);
    if (['127.0.0.1', 'localhost', '::1', '[::1]'].includes(url.hostname)) {
      pid = pidListeningOn(Number(url.port || 7687));
      if (pid !== undefined) start = readUsage(pid);
    }
  } catch {
    pid = undefined;
  }
  return {
    since() {
      if (pid === undefined || !start) return undefined;
      const now = readUsage(pid);
      return { cpuUs: now.cpuUs - start.cpuUs, writeBytes: now.writeBytes - start.writeBytes };
    },
  };
}
