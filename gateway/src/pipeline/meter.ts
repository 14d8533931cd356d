import { randomUUID } from 'node:crypto';
import type { Provider } from '@portcullis/shared/api-keys';
import { costMicroUsd, MICRO_USD, type ModelPrices } from '@portcullis/shared/usage';
import { routePath } from 'hono/route';
import { after, type GatewayContext, type Meter, type MeterResult, type Stage } from '../context.js';
import type { GatewayMetrics } from '../metrics.js';
import type { UsageSink } from '../usage/emitter.js';

export interface MeterDeps {
  metrics: GatewayMetrics;
  /** Null: no usage events (tests and tools that build a gateway without a stream). */
  usage: UsageSink | null;
  gatewayId: string;
  now: () => number;
}

const USER_AGENT_MAX = 512;

/**
 * Tokens (cache reads and writes at their own prices) at the model's prices; without a price (a
 * pass-through call naming no model, a model priced 0) the cost the provider reported, if it did.
 */
export function callCostMicro(model: ModelPrices | null, r: MeterResult, provider: Provider | null): number {
  if (model && (model.inputPricePerMTok > 0 || model.outputPricePerMTok > 0))
    return costMicroUsd(model, r, provider);
  const reported = r.providerCostUsd;
  return typeof reported === 'number' && Number.isFinite(reported) && reported > 0
    ? Math.ceil(reported * MICRO_USD - 1e-9)
    : 0;
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
export class RequestMeter implements Meter {
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
    const target = c.get('target');
    const model = target?.model ?? null;
    let r = this.#result ?? ZERO;
    // A pass-through call naming no model (a file upload, a batch) has no prompt: an estimate from its
    // bytes would count tokens of no model against token limits. It is metered as a request.
    if (target && model === null && r.estimated)
      r = { ...r, inputTokens: 0, outputTokens: 0, estimated: false };
    const { inputTokens, outputTokens } = r;
    c.get('lease')?.finish(r);
    if (inputTokens > 0) deps.metrics.tokens.inc({ direction: 'input' }, inputTokens);
    if (outputTokens > 0) deps.metrics.tokens.inc({ direction: 'output' }, outputTokens);
    const micro = callCostMicro(model, r, target?.provider.id ?? null);
    c.get('reservation')?.settle(micro);
    if (!deps.usage) return;
    const key = after(c, 'key').key;
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
      requestId: after(c, 'requestId'),
      method: c.req.method,
      route: this.route,
      model: model?.slug ?? null,
      provider: target?.provider.id ?? null,
      inputTokens,
      outputTokens,
      cacheCreationInputTokens: r.cacheCreationInputTokens ?? 0,
      cacheReadInputTokens: r.cacheReadInputTokens ?? 0,
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
