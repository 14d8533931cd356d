import type { HttpBindings } from '@hono/node-server';
import type { McpServerAccess } from '@portcullis/shared/mcp';
import type { SnapshotModel } from '@portcullis/shared/snapshot';
import type { Context, Hono, MiddlewareHandler } from 'hono';
import type { Reservation } from './budget/ledger.js';
import type { ProviderConfig, Usage } from './providers/index.js';
import type { RateLease } from './rate-limit/limiter.js';
import type { CredentialEntry, KeyEntry, McpServerEntry } from './snapshot/store.js';
import type { Translation } from './translate/index.js';

/** Where a request goes once scope has resolved it. */
export interface Target {
  provider: ProviderConfig;
  credential: CredentialEntry;
  /** Null for pass-through calls that name no model. */
  model: SnapshotModel | null;
  /** Pass-through: the path sent upstream (relative to the provider's API root), models renamed. */
  path?: string;
  /** /v1: the provider speaks the other wire format; absent for native calls. */
  translation?: Translation;
}

/** What the MCP policy stage resolved for `/mcp/:server`, for the route. */
export interface McpTarget {
  server: McpServerEntry;
  /**
   * What the key may use of this server, for filtering list answers; null when it may use all of it
   * (nothing to filter).
   */
  access: McpServerAccess | null;
  /** The POST body as received, forwarded byte for byte; null for GET and DELETE. */
  body: Uint8Array | null;
}

/** A JSON request body, parsed once with limits. */
export interface ParsedBody {
  json: Record<string, unknown>;
  bytes: number;
}

/** What the upstream call reports to the meter (upstream/relay.ts). */
export interface MeterResult extends Usage {
  /** Of `inputTokens`, those written to / read from the provider's prompt cache. */
  cacheCreationInputTokens?: number;
  cacheReadInputTokens?: number;
  /** USD the provider reported for the call: the cost of a call without a model (and so without prices). */
  providerCostUsd?: number | null;
  /** The provider reported no usage (or not all of it) and the tokens are the gateway's estimate. */
  estimated?: boolean;
  /** The client went away before the answer was complete. */
  aborted?: boolean;
  /** The status sent (or about to be sent) to the client. */
  status?: number;
  /** Set when the answer failed after its status was sent (an upstream that broke mid-stream). */
  errorCode?: string;
}

/** The meter as routes see it (pipeline/meter.ts). */
export interface Meter {
  /** Set by a route whose response body settles the meter itself (streams). */
  deferred: boolean;
  /** The upstream answer's usage; once per request, later calls are ignored. */
  finish(result: MeterResult): void;
}

/**
 * Request state, each variable set by one stage for those after it. None is there before its stage
 * has run, so each is optional here: a stage reads what an earlier stage of every chain it is in sets
 * with `after`, and what only some chains or some requests have with `c.get`.
 */
export interface RequestVariables {
  /** request-id (app.ts: every request). */
  requestId: string;
  /** clientAddress (app.ts: every request). */
  clientIp: string;
  /** app.ts: performance.now() when the request arrived. */
  startedAt: number;
  /** errors.ts: the code of the error answer. */
  errorCode: string;
  /** authenticate. */
  key: KeyEntry;
  /** meter. */
  meter: Meter;
  /** jsonBody, passthroughBody. */
  body: ParsedBody | null;
  /** passthroughBody: raw body bytes for pass-through requests that are not JSON. */
  rawBody: Uint8Array | null;
  /** scope, passthroughScope. */
  target: Target;
  /** rate-limit. */
  lease: RateLease;
  /** budget: the reservation of an admitted request on a key with a budget. */
  reservation: Reservation;
  /** mcp-policy: the server and what the key's MCP policy lets through. */
  mcp: McpTarget;
}

export interface GatewayEnv {
  Bindings: Partial<HttpBindings>;
  Variables: Partial<RequestVariables>;
}

export type GatewayContext = Context<GatewayEnv>;
export type Stage = MiddlewareHandler<GatewayEnv>;

/** Which stage sets each variable that later stages rely on. */
const SET_BY = {
  requestId: 'request-id',
  clientIp: 'clientAddress',
  key: 'authenticate',
  meter: 'meter',
  target: 'scope',
  mcp: 'mcp-policy',
} as const;

/**
 * A variable set by an earlier stage of every chain the caller runs in (pipeline/index.ts). Missing,
 * the chain is wrongly built: a programming error, not a request's.
 */
export function after<K extends keyof typeof SET_BY>(c: GatewayContext, name: K): RequestVariables[K] {
  const value = c.get(name);
  if (value === undefined) throw new Error(`${name} is set by ${SET_BY[name]}, which has not run`);
  return value as RequestVariables[K];
}

/** Registers a route as its pipeline stages followed by the handler (Hono's typings take fixed arities). */
export function on(
  app: Hono<GatewayEnv>,
  method: string,
  path: string,
  stages: Stage[],
  handler: Stage,
): void {
  (app as unknown as { on(m: string, p: string, ...h: Stage[]): unknown }).on(
    method,
    path,
    ...stages,
    handler,
  );
}
