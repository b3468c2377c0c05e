/**
 * Which tag values are over-represented in a service's errors: a two-proportion z-test of the error
 * rate of requests carrying the value against the rest of the service's requests.
 *
 * The rule, all of which must hold for a value to be reported:
 *  - support: at least `minCalls` requests carried the value and at least `minErrors` of them failed;
 *  - a comparison exists: some of the service's requests did not carry the value;
 *  - lift: its error rate is at least `minLift` times the rest's (any rate beats a rest of zero);
 *  - significance: the pooled two-proportion z-score is at least `minZ` (3 ≈ one-sided p < 0.0014).
 */

export interface CorrelationRule {
  minCalls: number;
  minErrors: number;
  minLift: number;
  minZ: number;
}

export const DEFAULT_CORRELATION_RULE: CorrelationRule = { minCalls: 20, minErrors: 3, minLift: 1.5, minZ: 3 };

export interface TagCount {
  key: string;
  value: string;
  calls: number;
  errors: number;
}

export interface Correlation extends TagCount {
  errorRate: number;
  restCalls: number;
  restErrors: number;
  restErrorRate: number;
  /** errorRate / restErrorRate; null when the rest had no errors */
  lift: number | null;
  zScore: number;
}

/** Pooled two-proportion z-score of x1/n1 against x0/n0; 0 when either side is empty or nothing varies. */
export function twoProportionZ(x1: number, n1: number, x0: number, n0: number): number {
  if (n1 <= 0 || n0 <= 0) return 0;
  const p = (x1 + x0) / (n1 + n0);
  const se = Math.sqrt(p * (1 - p) * (1 / n1 + 1 / n0));
  return se === 0 ? 0 : (x1 / n1 - x0 / n0) / se;
}

/** Applies the rule to each tag value against the service's totals; strongest first. */
export function correlate(
  baseline: { calls: number; errors: number },
  values: readonly TagCount[],
  rule: CorrelationRule = DEFAULT_CORRELATION_RULE,
): Correlation[] {
  const out: Correlation[] = [];
  for (const v of values) {
    const calls = v.calls;
    const errors = Math.min(v.errors, calls);
    const restCalls = Math.max(0, baseline.calls - calls);
    const restErrors = Math.min(restCalls, Math.max(0, baseline.errors - errors));
    if (calls < rule.minCalls || errors < rule.minErrors || restCalls === 0) continue;
    const errorRate = errors / calls;
    const restErrorRate = restErrors / restCalls;
    const lift = restErrorRate > 0 ? errorRate / restErrorRate : null;
    if (lift !== null && lift < rule.minLift) continue;
    const zScore = twoProportionZ(errors, calls, restErrors, restCalls);
    if (zScore < rule.minZ) continue;
    out.push({ ...v, errors, errorRate, restCalls, restErrors, restErrorRate, lift, zScore });
  }
  return out.sort((a, b) => b.zScore - a.zScore || a.key.localeCompare(b.key) || a.value.localeCompare(b.value));
}
