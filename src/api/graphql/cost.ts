/**
 * Query cost (the Pothos complexity plugin): fields whose result grows with an argument say so, so
 * that `services(first: 100) { dependents(depth: 5) { … } }` costs what it really asks of Neo4j.
 */

/** A walk costs a query per hop, and what is selected below it grows with every hop. */
export const walkCost = (args: { depth: number }) => ({ field: args.depth, multiplier: 2 * args.depth });

/** A page costs what it may return; its `edges` list already counts ten, so the page adds the rest. */
export const pageCost = (args: { first?: number | null; last?: number | null }) => ({
  field: 1,
  multiplier: Math.max(1, Math.ceil((args.first ?? args.last ?? 50) / 10)),
});
