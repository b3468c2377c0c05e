/**
 * Every simple path (no component twice) between two sets of nodes of a directed graph, shortest
 * first, at most `limit` of them. Pure, so it can be checked on hand-made graphs.
 *
 * Iterative deepening with a distance-to-target bound: at each length only branches that can still
 * reach a target in the hops left are followed, so the work is proportional to the paths found, not
 * to everything reachable within maxDepth.
 */

export function simplePaths(
  edges: readonly (readonly [string, string])[],
  starts: readonly string[],
  targets: readonly string[],
  maxDepth: number,
  limit: number,
): string[][] {
  const out = new Map<string, string[]>();
  const into = new Map<string, string[]>();
  for (const [a, b] of edges) {
    if (a === b) continue;
    out.set(a, [...(out.get(a) ?? []), b]);
    into.set(b, [...(into.get(b) ?? []), a]);
  }
  for (const list of out.values()) list.sort();

  // Hops from each node to the nearest target, walking edges backwards (breadth-first).
  const toTarget = new Map<string, number>(targets.map((t) => [t, 0]));
  let frontier = [...targets];
  for (let d = 1; d <= maxDepth && frontier.length > 0; d++) {
    const next: string[] = [];
    for (const n of frontier) {
      for (const p of into.get(n) ?? []) {
        if (!toTarget.has(p)) {
          toTarget.set(p, d);
          next.push(p);
        }
      }
    }
    frontier = next;
  }

  const isTarget = new Set(targets);
  const found: string[][] = [];
  for (let length = 1; length <= maxDepth && found.length < limit; length++) {
    for (const start of [...starts].sort()) {
      const path = [start];
      const onPath = new Set(path);
      const walk = (node: string, left: number): void => {
        if (found.length >= limit) return;
        if (left === 0) {
          if (isTarget.has(node)) found.push([...path]);
          return;
        }
        for (const next of out.get(node) ?? []) {
          const distance = toTarget.get(next);
          if (onPath.has(next) || distance === undefined || distance > left - 1) continue;
          // A target met before the last hop would end a shorter path, found at its own length.
          if (isTarget.has(next) && left - 1 > 0) continue;
          path.push(next);
          onPath.add(next);
          walk(next, left - 1);
          path.pop();
          onPath.delete(next);
        }
      };
      if (!isTarget.has(start)) walk(start, length);
    }
  }
  return found;
}
