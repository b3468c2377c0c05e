/** Arguments several questions share, and the checks that turn a bad value into a BAD_USER_INPUT error. */
import { parseDuration } from '../../core/config.js';
import { builder } from './builder.js';
import { sinceMs, type Context } from './context.js';
import { walkCost } from './cost.js';
import type { Direction } from './data/traversal.js';
import { userError } from './errors.js';

/** A duration argument such as 15m, or a BAD_USER_INPUT error naming it. */
export function durationArg(name: string, text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined || ms <= 0)
    throw userError(`${name} must be a duration like 30s, 15m, 24h or 7d, got "${text}"`);
  return ms;
}

/** Whether a walk of this depth is allowed: 1 up to the server's depth limit. */
export const depthInRange = (ctx: Context, depth: number) =>
  Number.isInteger(depth) && depth >= 1 && depth <= ctx.settings.maxDepth;

/** A walk's depth when in range, else a BAD_USER_INPUT error naming the argument. */
export function depthArg(ctx: Context, depth: number, name = 'depth'): number {
  if (!depthInRange(ctx, depth)) {
    throw userError(`${name} must be between 1 and ${ctx.settings.maxDepth}, got ${depth}`);
  }
  return depth;
}

/** What a walk field costs and takes: `depth` (with its default) and `since` (default: the live window). */
export const walkField = (defaultDepth: number, sinceDescription?: string) => ({
  complexity: walkCost,
  args: builder.args((t) => ({
    depth: t.int({ required: true, defaultValue: defaultDepth }),
    since: t.field({ type: 'DateTime', required: false, description: sinceDescription }),
  })),
});

/** The walk a field's arguments ask for, from `root`; a BAD_USER_INPUT error for a depth out of range. */
export const walkRequest = (
  ctx: Context,
  root: string,
  direction: Direction,
  args: { depth: number; since?: Date | null },
) => ({ root, direction, depth: depthArg(ctx, args.depth), since: sinceMs(ctx, args.since) });

/** How the incident questions name a service: by name, and optionally environment and namespace. */
export const serviceNameArgs = () =>
  builder.args((t) => ({
    service: t.string({ required: true }),
    environment: t.string({ required: false }),
    namespace: t.string({ required: false }),
  }));
