/** Percentiles and the plain-text tables the benchmarks print. */

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

/** Per-round figures of an A/B tool with the first two rounds (the JIT warming up) left out: `mean …, median …, min …`. */
export function settledSummary(perRound: number[], digits: number): string {
  const settled = perRound.slice(2);
  const sorted = [...settled].sort((a, b) => a - b);
  const mean = settled.reduce((a, b) => a + b, 0) / settled.length;
  return `mean ${mean.toFixed(digits)}, median ${sorted[Math.floor(sorted.length / 2)]!.toFixed(digits)}, min ${sorted[0]!.toFixed(digits)}`;
}

export const round = (x: number, digits = 2) => (Number.isFinite(x) ? Number(x.toFixed(digits)) : x);

export function table(title: string, header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((r) => r.map((c) => (typeof c === 'number' ? String(round(c)) : c)))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => String(r[i] ?? '').length)));
  const line = (r: (string | number)[]) => r.map((c, i) => String(c ?? '').padEnd(widths[i]!)).join('  ');
  return [`\n${title}`, line(cells[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join(
    '\n',
  );
}
