/**
 * Topology as text for living documentation: a Mermaid flowchart (renders in GitHub Markdown) and a
 * Graphviz digraph. Pure functions; node ids are generated (n0, n1, …) so that no component name,
 * however odd, has to be an identifier — names only ever appear inside escaped labels.
 */

export interface RenderNode {
  key: string;
  name: string;
  kind: string;
  environment: string;
}

export interface RenderEdge {
  from: string;
  to: string;
  calls: number;
  errors: number;
}

/** Mermaid labels are double-quoted strings; inside them only entity codes are safe for quotes and brackets. */
export function mermaidLabel(text: string): string {
  const codes: Record<string, string> = { '"': '#quot;', '#': '#35;', '<': '#lt;', '>': '#gt;', '`': '#96;' };
  return `"${text.replace(/["#<>`]/g, (c) => codes[c]!).replace(/[\r\n]+/g, ' ')}"`;
}

/** A DOT double-quoted string. */
export function dotString(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\r?\n/g, '\\n')}"`;
}

const MERMAID_SHAPE: Record<string, [string, string]> = {
  SERVICE: ['[', ']'],
  DATABASE: ['[(', ')]'],
  MESSAGING_DESTINATION: ['>', ']'],
  EXTERNAL: ['([', '])'],
};

const DOT_SHAPE: Record<string, string> = {
  SERVICE: 'box',
  DATABASE: 'cylinder',
  MESSAGING_DESTINATION: 'cds',
  EXTERNAL: 'ellipse',
};

const edgeText = (e: RenderEdge) => `${e.calls} calls${e.errors > 0 ? `, ${e.errors} errors` : ''}`;

function ids(nodes: RenderNode[]): Map<string, string> {
  return new Map(nodes.map((n, i) => [n.key, `n${i}`]));
}

function byEnvironment(nodes: RenderNode[]): Map<string, RenderNode[]> {
  const groups = new Map<string, RenderNode[]>();
  for (const n of nodes) groups.set(n.environment, [...(groups.get(n.environment) ?? []), n]);
  return groups;
}

export function toMermaid(nodes: RenderNode[], edges: RenderEdge[]): string {
  const id = ids(nodes);
  const lines = ['flowchart LR'];
  const groups = byEnvironment(nodes);
  // One environment reads best flat; several are kept apart in subgraphs.
  const nested = groups.size > 1;
  let g = 0;
  for (const [environment, members] of groups) {
    const indent = nested ? '    ' : '  ';
    if (nested) lines.push(`  subgraph env${g++}[${mermaidLabel(environment || '(no environment)')}]`);
    for (const n of members) {
      const [open, close] = MERMAID_SHAPE[n.kind] ?? MERMAID_SHAPE.SERVICE!;
      lines.push(`${indent}${id.get(n.key)}${open}${mermaidLabel(n.name)}${close}`);
    }
    if (nested) lines.push('  end');
  }
  for (const e of edges) {
    const from = id.get(e.from);
    const to = id.get(e.to);
    if (from && to) lines.push(`  ${from} -->|${mermaidLabel(edgeText(e))}| ${to}`);
  }
  return `${lines.join('\n')}\n`;
}

export function toDot(nodes: RenderNode[], edges: RenderEdge[]): string {
  const id = ids(nodes);
  const lines = ['digraph topology {', '  rankdir=LR;'];
  const groups = byEnvironment(nodes);
  const nested = groups.size > 1;
  let g = 0;
  for (const [environment, members] of groups) {
    const indent = nested ? '    ' : '  ';
    if (nested) lines.push(`  subgraph cluster_${g++} {`, `    label=${dotString(environment || '(no environment)')};`);
    for (const n of members) {
      lines.push(`${indent}${id.get(n.key)} [label=${dotString(n.name)}, shape=${DOT_SHAPE[n.kind] ?? 'box'}];`);
    }
    if (nested) lines.push('  }');
  }
  for (const e of edges) {
    const from = id.get(e.from);
    const to = id.get(e.to);
    if (from && to) {
      lines.push(`  ${from} -> ${to} [label=${dotString(edgeText(e))}${e.errors > 0 ? ', color=red' : ''}];`);
    }
  }
  lines.push('}');
  return `${lines.join('\n')}\n`;
}
