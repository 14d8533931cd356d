import { usdToMicro } from '@portcullis/shared/usage';

/**
 * The alert thresholds (percentages of `limitUsd`) that `spentUsd` has reached and that have not
 * fired yet, ascending. Compared in integer micro-dollars (BigInt: limits go up to $1e9), so 50 % of
 * $1 is reached by exactly $0.50, not by a float's idea of it.
 */
export function newlyCrossed(
  thresholds: readonly number[],
  spentUsd: number,
  limitUsd: number,
  fired: ReadonlySet<number> = new Set(),
): number[] {
  if (!(limitUsd > 0) || !(spentUsd > 0)) return [];
  const spent = BigInt(usdToMicro(spentUsd)) * 100n;
  const limit = BigInt(usdToMicro(limitUsd));
  return [...new Set(thresholds)]
    .filter((t) => Number.isInteger(t) && t > 0 && !fired.has(t) && spent >= BigInt(t) * limit)
    .sort((a, b) => a - b);
}

const DAY_MS = 86_400_000;

/**
 * When to evaluate a key's budget period: now, unless the key's newest settled spend is dated in a
 * later UTC day (a gateway clock ahead of ours, or a test's events dated tomorrow), in which case the
 * period that spend landed in. `latestSpendDay` is that day as `YYYY-MM-DD`.
 */
export function evaluationTime(now: number, latestSpendDay: string | null | undefined): number {
  if (!latestSpendDay) return now;
  const day = Date.parse(`${latestSpendDay}T00:00:00Z`);
  if (Number.isNaN(day)) return now;
  return day > Math.floor(now / DAY_MS) * DAY_MS ? day : now;
}
