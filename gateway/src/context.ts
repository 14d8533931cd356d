import type { HttpBindings } from '@hono/node-server';
import type { SnapshotModel } from '@portcullis/shared/snapshot';
import type { Context, Hono, MiddlewareHandler } from 'hono';
import type { Reservation } from './budget/ledger.js';
import type { McpTarget } from './pipeline/mcp-policy.js';
import type { RequestMeter } from './pipeline/meter.js';
import type { ProviderConfig } from './providers/index.js';
import type { RateLease } from './rate-limit/limiter.js';
import type { CredentialEntry, KeyEntry } from './snapshot/store.js';

/** Where a request goes once scope has resolved it. */
export interface Target {
  provider: ProviderConfig;
  credential: CredentialEntry;
  /** Null for pass-through calls that name no model. */
  model: SnapshotModel | null;
  /** Pass-through: the path sent upstream (relative to the provider's API root), models renamed. */
  path?: string;
}

/** A JSON request body, parsed once with limits. */
export interface ParsedBody {
  json: Record<string, unknown>;
  bytes: number;
}

/** Request state shared by the pipeline stages: one typed context. */
export interface GatewayEnv {
  Bindings: Partial<HttpBindings>;
  Variables: {
    requestId: string;
    errorCode: string;
    clientIp: string;
    key: KeyEntry;
    body: ParsedBody | null;
    /** Raw body bytes for pass-through requests that are not JSON. */
    rawBody: Uint8Array | null;
    target: Target;
    lease: RateLease;
    /** The budget reservation of an admitted request on a key with a budget. */
    reservation: Reservation;
    meter: RequestMeter;
    /** performance.now() when the request arrived. */
    startedAt: number;
    /** `/mcp/:server`: the server and what the key's MCP policy lets through. */
    mcp: McpTarget;
  };
}

export type GatewayContext = Context<GatewayEnv>;
export type Stage = MiddlewareHandler<GatewayEnv>;

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
