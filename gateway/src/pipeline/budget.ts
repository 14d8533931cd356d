import type { Provider } from '@portcullis/shared/api-keys';
import { costMicroUsd, MICRO_USD, type ModelPrices, maxInputPricePerMTok } from '@portcullis/shared/usage';
import type { BudgetLedger } from '../budget/ledger.js';
import { after, type ParsedBody, type Stage } from '../context.js';
import { errorResponse } from '../errors.js';
import type { GatewayMetrics } from '../metrics.js';
import type { Operation } from '../providers/index.js';

/**
 * Output tokens reserved for a request that states no maximum (`max_tokens`, `max_completion_tokens`,
 * `max_output_tokens`). A guess: a provider may write more, and the difference is overshoot.
 */
export const DEFAULT_MAX_OUTPUT_TOKENS = 4096;
/** Input tokens are estimated at one per 4 body bytes (as forward.ts estimates unreported usage). */
const BYTES_PER_TOKEN = 4;

const positiveInt = (v: unknown): number | null =>
  typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : null;

/**
 * The most a request can cost, in micro-USD: the input estimate at the highest input price (a cache
 * write can cost more than plain input) plus its maximum output (the stated cap, else the default,
 * times `n` choices) at the output price. Embeddings produce no output. A call whose model is unknown
 * (pass-through naming none) has no price: 0.
 */
export function maxCostMicro(
  prices: ModelPrices | null,
  body: ParsedBody | null,
  bodyBytes: number,
  op: Operation | null,
  provider: Provider | null = null,
): number {
  if (!prices) return 0;
  const input = Math.ceil(bodyBytes / BYTES_PER_TOKEN);
  let output = 0;
  if (op !== 'embeddings') {
    const json = body?.json;
    const cap =
      positiveInt(json?.max_tokens) ??
      positiveInt(json?.max_completion_tokens) ??
      positiveInt(json?.max_output_tokens) ??
      DEFAULT_MAX_OUTPUT_TOKENS;
    output = cap * Math.min(positiveInt(json?.n) ?? 1, 128);
  }
  const inputPrice = maxInputPricePerMTok(prices, provider);
  return costMicroUsd(
    { inputPricePerMTok: inputPrice, outputPricePerMTok: prices.outputPricePerMTok },
    {
      inputTokens: input,
      outputTokens: output,
    },
  );
}

const usd = (micro: number) => `$${(micro / MICRO_USD).toFixed(6).replace(/\.?0+$/, '')}`;

/**
 * Reserves the request's maximum cost against every budget of its key's effective policy (the key's,
 * its owner's, each of the owner's groups'; from memory, see budget/ledger.ts), or answers 429
 * `budget_exceeded` with `Retry-After` = seconds to the period's end (none for lifetime budgets). The
 * meter settles the reservation with the real cost when the request finishes.
 */
export const budget =
  (ledger: BudgetLedger, metrics: GatewayMetrics, op: Operation | null): Stage =>
  async (c, next) => {
    const budgets = after(c, 'key').policy().budgets;
    if (budgets.length === 0) return next();
    const target = after(c, 'target');
    const body = c.get('body') ?? null;
    const bytes = body?.bytes ?? c.get('rawBody')?.byteLength ?? 0;
    let decision = ledger.reserve(budgets, maxCostMicro(target.model, body, bytes, op, target.provider.id));
    if (decision instanceof Promise) decision = await decision;
    if (!decision.ok) {
      metrics.budgetRefused.inc({ reason: decision.reason });
      const { period, label } = decision;
      const message =
        decision.reason === 'spent'
          ? `Budget exceeded: ${label} has used ${usd(decision.usedMicro)} of its ${period} budget of ${usd(decision.limitMicro)}`
          : `Budget exceeded: the ${period} budget of ${label} (${usd(decision.limitMicro)}) is nearly used up across the gateways; retry shortly`;
      return errorResponse(
        c,
        'budget_exceeded',
        message,
        decision.retryAfterSeconds === null
          ? undefined
          : { 'retry-after': String(decision.retryAfterSeconds) },
      );
    }
    c.set('reservation', decision.reservation);
    return next();
  };
