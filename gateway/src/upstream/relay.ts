import type { Readable } from 'node:stream';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { Dispatcher } from 'undici';
import { after, type GatewayContext, type MeterResult } from '../context.js';
import { errorResponse } from '../errors.js';
import type { ClientAbort } from './client-signal.js';

/** The answer of an upstream pool request. */
export type UpstreamResponse = Dispatcher.ResponseData;

/** Who is behind the upstream, as error messages and logs name it. */
export interface UpstreamName {
  /** `The provider`, `The MCP server`. */
  the: string;
  /** Log prefix: `upstream`, `MCP upstream`. */
  log: string;
}

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT']);

/**
 * The answer to a request that got no response headers: refused by the SSRF guard, timed out, broken
 * off by the client (billed as aborted, nothing having passed) or unreachable.
 */
export function requestFailed(
  c: GatewayContext,
  err: unknown,
  signal: AbortSignal | ClientAbort,
  name: UpstreamName,
  origin: string,
): Response {
  const code = (err as { code?: string }).code ?? '';
  if (code === 'UPSTREAM_BLOCKED') {
    console.error(`gateway: refused ${name.log}: ${(err as Error).message}`);
    return errorResponse(c, 'upstream_error', `${name.the}'s address is not allowed by this gateway`);
  }
  if (TIMEOUT_CODES.has(code))
    return errorResponse(c, 'upstream_timeout', `${name.the} did not answer in time`);
  if (signal.aborted) {
    after(c, 'meter').finish({ inputTokens: 0, outputTokens: 0, aborted: true });
    return errorResponse(c, 'upstream_error', 'The client closed the request');
  }
  console.error(`gateway: ${name.log} ${origin} failed (${code || (err as Error).name})`);
  return errorResponse(c, 'upstream_error', `${name.the} could not be reached`);
}

/** The answer when the upstream broke off a body the gateway was reading whole. */
export const brokeOff = (c: GatewayContext, name: UpstreamName): Response =>
  errorResponse(c, 'upstream_error', `${name.the} closed the connection mid-answer`);

/** Whether the answer has no body to pass on. Informational answers never get here (undici handles them). */
export const bodyless = (status: number, method: string): boolean =>
  status === 204 || status === 205 || status === 304 || method === 'HEAD';

/**
 * Bills an answer once it has ended. `complete`: all of it passed. Otherwise `aborted` says who broke
 * it off: the client (billed for what passed) or the upstream (an error after the status was sent).
 */
export function settleAnswer(
  c: GatewayContext,
  status: number,
  usage: MeterResult,
  complete: boolean,
  aborted: boolean,
): void {
  after(c, 'meter').finish({
    ...usage,
    aborted,
    status,
    ...(complete || aborted ? {} : { errorCode: 'upstream_error' }),
  });
}

/** Rewrites a byte stream as it passes; `end` returns what it still holds when the stream ends. */
export interface ChunkTransform {
  push(chunk: Uint8Array): Uint8Array | null;
  end(): Uint8Array | null;
}

export interface RelayOptions {
  transform: ChunkTransform | null;
  /** Sees every upstream chunk as it came. */
  onChunk?: (chunk: Uint8Array) => void;
  /** Called once when the stream ends (see `settleAnswer`). */
  settle: (complete: boolean, aborted: boolean) => void;
}

/**
 * Streams an upstream answer to the client chunk by chunk, read only as the client reads (no
 * buffering). A client that goes away drops the upstream response and its connection at once; the
 * meter settles when the stream ends, whichever way.
 */
export function relayAnswer(
  c: GatewayContext,
  res: UpstreamResponse,
  headers: Record<string, string | string[]>,
  sse: boolean,
  signal: AbortSignal | ClientAbort,
  opts: RelayOptions,
): Response {
  after(c, 'meter').deferred = true;
  const { transform, onChunk, settle } = opts;
  const body = res.body as unknown as Readable;
  const iterator = body[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const stream = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          for (;;) {
            const { done, value } = await iterator.next();
            if (done) {
              const rest = transform?.end();
              if (rest) controller.enqueue(rest);
              settle(true, false);
              controller.close();
              return;
            }
            onChunk?.(value);
            const pass = transform ? transform.push(value) : value;
            if (pass) {
              controller.enqueue(pass);
              return;
            }
            // Everything held back or dropped: read on (a pull must enqueue or end).
          }
        } catch (err) {
          settle(false, signal.aborted);
          controller.error(err);
        }
      },
      cancel() {
        body.destroy();
        settle(false, true);
      },
    },
    { highWaterMark: 0 },
  );
  if (sse) headers['cache-control'] = 'no-cache';
  return c.body(stream, res.statusCode as ContentfulStatusCode, headers);
}
