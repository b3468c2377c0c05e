/** V8's sampling heap profiles, as the bench's allocation tools read them (engine-allocation.ts, heap-survivors.ts). */

export interface ProfileNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: ProfileNode[];
}

/**
 * Bytes by the function that allocated them (self, not its callees), and their total. A builtin (no
 * script: an iterator's `next`, `push`, `fromCharCode`) is named with the script function calling it.
 */
export function bytesByFunction(head: ProfileNode): { total: number; bySelf: Map<string, number> } {
  const bySelf = new Map<string, number>();
  let total = 0;
  const walk = (node: ProfileNode, caller: string) => {
    const f = node.callFrame;
    const own = `${f.functionName || '(anonymous)'} ${f.url.split('/').pop()}:${f.lineNumber + 1}`;
    const name = f.url === '' && caller !== '' ? `${own} < ${caller}` : own;
    if (node.selfSize > 0) bySelf.set(name, (bySelf.get(name) ?? 0) + node.selfSize);
    total += node.selfSize;
    for (const c of node.children) walk(c, f.url === '' ? caller : own);
  };
  walk(head, '');
  return { total, bySelf };
}
