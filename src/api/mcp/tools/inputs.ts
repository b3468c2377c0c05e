/**
 * The argument pieces the tools share. Every input is bounded here, so an oversized or malformed
 * argument is refused by the SDK as a tool error before anything runs. Built once at import: a zod
 * schema costs CPU to build, and the HTTP endpoint builds a server per request.
 */
import { z } from 'zod';
import { resolveSince, SINCE_HELP } from '../tool-results.js';

const NAME_MAX = 256;
export const name = (what: string) => z.string().min(1).max(NAME_MAX).describe(what);
export const environment = z
  .string()
  .max(NAME_MAX)
  .optional()
  .describe(
    'deployment.environment.name, e.g. "production". Omit to match across all environments (the most recently seen wins).',
  );
export const namespace = z
  .string()
  .max(NAME_MAX)
  .optional()
  .describe('service.namespace, when names repeat across namespaces');
export const since = (what: string) => z.string().max(40).optional().describe(`${what}: ${SINCE_HELP}.`);
export const window = z
  .string()
  .regex(/^\d{1,4}[mhd]$/)
  .default('15m')
  .describe('How far back to look, e.g. "5m", "15m", "1h", "24h".');
export const limit = z.number().int().min(1).max(200).default(50).describe('Page size (at most 200).');
export const offset = z.number().int().min(0).max(1_000_000).default(0).describe('Where the page starts (0 first).');

/** `since` as the API takes it (ISO-8601); a refusal naming the accepted forms when it is none. */
export function sinceArg(text: string | undefined, now: number): string | undefined {
  if (text === undefined) return undefined;
  const at = resolveSince(text, now);
  if (!at) throw new Error(`"${text}" is not a time; use ${SINCE_HELP}.`);
  return at.toISOString();
}
