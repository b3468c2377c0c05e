/**
 * CPU time and bytes written to disk of the local Neo4j process, read from /proc, so the ingest bench
 * can say what each span costs the database as well as the worker. Found as the process listening on
 * the Bolt port of the URI; undefined when Neo4j runs elsewhere (or not on Linux), and the figures
 * are then left out. Other clients of a shared server are counted too: compare runs side by side.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

export interface ServerUsage {
  /** user + system CPU, µs */
  cpuUs: number;
  /** bytes the process caused to be written to storage (transaction log, store files) */
  writeBytes: number;
}

/** Clock ticks per second of /proc/<pid>/stat: 100 on every Linux this runs on (USER_HZ). */
const TICKS_PER_S = 100;

function listeningInodes(port: number): Set<string> {
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      // local address is HEX_IP:HEX_PORT; state 0A is LISTEN; the inode is the tenth column
      if (f.length > 9 && f[3] === '0A' && parseInt(f[1]!.split(':')[1]!, 16) === port) inodes.add(f[9]!);
    }
  }
  return inodes;
}

/** The pid of the process listening on `port` on this machine, if any. */
export function findListeningPid(port: number): number | undefined {
  const inodes = listeningInodes(port);
  if (inodes.size === 0) return undefined;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${entry}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${entry}/fd/${fd}`));
        if (m && inodes.has(m[1]!)) return Number(entry);
      } catch {
        // the fd closed while we looked
      }
    }
  }
  return undefined;
}

export function readUsage(pid: number): ServerUsage {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // fields after the command (which may hold spaces) start at state; utime and stime are the 14th and 15th fields
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(rest[11]) + Number(rest[12]);
  const io = readFileSync(`/proc/${pid}/io`, 'utf8');
  const writeBytes = Number(/write_bytes:\s*(\d+)/.exec(io)?.[1] ?? 0);
  return { cpuUs: (ticks * 1e6) / TICKS_PER_S, writeBytes };
}

/** Usage of the Neo4j process behind `uri` from now on; `since()` gives the difference, or undefined when not local. */
export function neo4jUsageMeter(uri: string): { since(): ServerUsage | undefined } {
  let pid: number | undefined;
  let start: ServerUsage | undefined;
  try {
    const url = new URL(uri);
    if (['127.0.0.1', 'localhost', '::1', '[::1]'].includes(url.hostname)) {
      pid = findListeningPid(Number(url.port || 7687));
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
