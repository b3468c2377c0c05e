/**
 * The shape every tool answers in: a short readable text for the model to read, the same facts as
 * structuredContent for a program, lists cut into pages. Refusals are thrown: the SDK answers a
 * thrown Error as a tool error (isError) with its message, so a bad call costs the agent one turn.
 */
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';

/** Longest Mermaid text a tool returns inline; larger topologies are summarised and paged instead. */
export const MAX_MERMAID_CHARS = 20_000;

export function toolAnswer(text: string, structured: Record<string, unknown>): CallToolResult {
  return { content: [{ type: 'text', text }], structuredContent: structured };
}

export interface Page<T> {
  items: T[];
  total: number;
  offset: number;
  /** The offset of the next page, or null on the last one. */
  nextOffset: number | null;
}

export function page<T>(items: T[], offset: number, limit: number): Page<T> {
  const slice = items.slice(offset, offset + limit);
  const next = offset + slice.length;
  return { items: slice, total: items.length, offset, nextOffset: next < items.length ? next : null };
}

/** "(showing 1-20 of 57; call again with offset 20 for more)" */
export function pageNote(p: Page<unknown>): string {
  if (p.total === 0) return '';
  const shown = `showing ${p.offset + 1}-${p.offset + p.items.length} of ${p.total}`;
  return p.nextOffset === null ? `(${shown})` : `(${shown}; call again with offset ${p.nextOffset} for more)`;
}

const UNIT_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * A point in time from what a model is likely to write: an ISO-8601 instant, a duration back from
 * now (`30m`, `6h`, `7d`) or `today` (since 00:00 UTC).
 */
export function resolveSince(text: string, now: number): Date | undefined {
  const t = text.trim();
  if (t.toLowerCase() === 'today') {
    const d = new Date(now);
    return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
  }
  const rel = /^(\d{1,5})\s*([mhd])$/i.exec(t);
  if (rel) return new Date(now - Number(rel[1]) * UNIT_MS[rel[2]!.toLowerCase()]!);
  if (!/^\d{4}-\d{2}-\d{2}/.test(t)) return undefined;
  const d = new Date(t);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

export const SINCE_HELP =
  'an ISO-8601 instant (2026-05-01T09:00:00Z), a duration back from now (30m, 6h, 7d) or "today"';

/** 0.1234 → "12.3%" */
export function percent(rate: number): string {
  return `${(rate * 100).toFixed(1)}%`;
}
