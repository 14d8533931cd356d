import { randomUUID } from 'node:crypto';
import { costMicroUsd, MICRO_USD, type ModelPrices, usdToMicro } from '@portcullis/shared/usage';
import { routePath } from 'hono/route';
import type { Reservation } from '../budget/ledger.js';
import type { GatewayContext, Stage, Target } from '../context.js';
import type { GatewayMetrics } from '../metrics.js';
import type { Usage } from '../providers/index.js';
import type { RateLease } from '../rate-limit/limiter.js';
import type { UsageSink } from '../usage/emitter.js';

/** What the upstream call reports to the meter (forward.ts). */
export interface MeterResult extends Usage {
  /** The provider reported no usage and the tokens are the gateway's estimate. */
  estimated?: boolean;
  /** The client went away before the answer was complete. */
  aborted?: boolean;
  /** The status sent (or about to be sent) to the client. */
  status?: number;
  /** Set when the answer failed after its status was sent (an upstream that broke mid-stream). */
  errorCode?: string;
  /**
   * The USD cost the provider reported for the call, when it reports one. It is the call's cost when
   * there is no model price to compute one from (a pass-through call naming no model, a model priced 0).
   */
  costUsd?: number;
}

export interface MeterDeps {
  metrics: GatewayMetrics;
  /** Null: no usage events (tests and tools that build a gateway without a stream). */
  usage: UsageSink | null;
  gatewayId: string;
  now: () => number;
}

const USER_AGENT_MAX = 512;

/** Tokens at the model's price; without a price, the cost the provider reported (if it did). */
export function callCostMicro(model: ModelPrices | null, r: MeterResult): number {
  if (model && (model.inputPricePerMTok > 0 || model.outputPricePerMTok > 0))
    return costMicroUsd(model, r.inputTokens, r.outputTokens);
  const reported = r.costUsd;
  return reported !== undefined && Number.isFinite(reported) && reported > 0 ? usdToMicro(reported) : 0;
}
const ZERO: MeterResult = { inputTokens: 0, outputTokens: 0 };

/**
 * Closes the books on one request the gateway attributed to a key, exactly once, when its response is
 * complete (for a stream: when it ends or the client goes away): hands its tokens to the rate limiter
 * (which also frees its concurrency slot), settles its budget reservation with the real cost, and
 * emits its usage event.
 *
 * Which requests emit an event: every request whose key was identified (its secret verified), whatever
 * happened next: 2xx, refusals after identification (key_inactive, ip_not_allowed, model_not_allowed,
 * rate_limit_exceeded, budget_exceeded, …), upstream errors, aborted streams. Requests that never
 * identified a key (invalid_api_key, gateway_not_ready, too many failed attempts, a route that does
 * not exist) emit none: there is no key to bill them to.
 */
export class RequestMeter {
  #done = false;
  #result: MeterResult | null = null;
  #status = 0;
  #errorCode: string | null = null;
  #answered = false;
  /** Set by a route whose response body settles the meter itself (streams). */
  deferred = false;
  readonly #time: number;

  constructor(
    private readonly c: GatewayContext,
    private readonly deps: MeterDeps,
    private readonly route: string,
  ) {
    this.#time = deps.now();
  }

  /**
   * The upstream answer's usage. For a deferred (streamed) answer this completes the request; for any
   * other it is kept until the route's response is final (`answered`), whose status wins.
   */
  finish(result: MeterResult): void {
    if (this.#done || this.#result) return;
    this.#result = result;
    if (this.deferred || this.#answered) this.#complete();
  }

  /** The route has answered (called by the stage). */
  answered(status: number, errorCode: string | undefined): void {
    this.#answered = true;
    this.#status = status;
    this.#errorCode = errorCode ?? null;
    if (!this.deferred || this.#result) this.#complete();
  }

  #complete(): void {
    if (this.#done) return;
    this.#done = true;
    const { c, deps } = this;
    const target = c.get('target') as Target | undefined;
    const model = target?.model ?? null;
    let r = this.#result ?? ZERO;
    // A pass-through call naming no model (a file upload, a batch) has no prompt: an estimate from its
    // bytes would count tokens of no model against token limits. It is metered as a request.
    if (target && model === null && r.estimated)
      r = { ...r, inputTokens: 0, outputTokens: 0, estimated: false };
    const { inputTokens, outputTokens } = r;
    (c.get('lease') as RateLease | undefined)?.finish(r);
    if (inputTokens > 0) deps.metrics.tokens.inc({ direction: 'input' }, inputTokens);
    if (outputTokens > 0) deps.metrics.tokens.inc({ direction: 'output' }, outputTokens);
    const micro = callCostMicro(model, r);
    (c.get('reservation') as Reservation | undefined)?.settle(micro);
    if (!deps.usage) return;
    const key = c.get('key').key;
    const started = c.get('startedAt');
    const ip = c.get('clientIp');
    const ua = c.req.header('user-agent');
    deps.usage.emit({
      id: randomUUID(),
      time: new Date(this.#time).toISOString(),
      orgId: key.orgId,
      keyId: key.id,
      ownerId: key.ownerId,
      gatewayId: deps.gatewayId,
      requestId: c.get('requestId'),
      method: c.req.method,
      route: this.route,
      model: model?.slug ?? null,
      provider: target?.provider.id ?? null,
      inputTokens,
      outputTokens,
      costUsd: micro / MICRO_USD,
      estimated: r.estimated ?? false,
      aborted: r.aborted ?? false,
      status: this.#answered ? this.#status : (r.status ?? 200),
      errorCode: r.errorCode ?? this.#errorCode,
      latencyMs: started === undefined ? 0 : Math.max(0, performance.now() - started),
      sourceIp: ip && ip !== 'unknown' && ip !== 'invalid' ? ip : null,
      userAgent: ua ? ua.slice(0, USER_AGENT_MAX) : null,
      metadata: key.metadata,
    });
  }
}

/**
 * Placed right after the key is identified, so that it wraps every later stage and the route: what it
 * does happens after them (DESIGN's "route → meter"), including for refusals by later stages.
 */
export const meter =
  (deps: MeterDeps): Stage =>
  async (c, next) => {
    const m = new RequestMeter(c, deps, routePath(c));
    c.set('meter', m);
    try {
      await next();
    } finally {
      m.answered(c.res.status, c.get('errorCode'));
    }
  };
