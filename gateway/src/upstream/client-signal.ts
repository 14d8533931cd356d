import { EventEmitter } from 'node:events';
import type { GatewayContext } from '../context.js';

/**
 * What undici accepts as an abort signal besides AbortSignal: an emitter of `abort` with an `aborted`
 * flag. Much cheaper to make than an AbortController (which Node builds as a transferable object), and
 * one is made per proxied request.
 */
export class ClientAbort extends EventEmitter {
  aborted = false;
  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    this.emit('abort');
  }
}

/**
 * Aborts when the client goes away before the answer is complete. On Node this listens on the
 * response socket directly; c.req.raw.signal would build a full web Request for every call.
 */
export function clientSignal(c: GatewayContext): AbortSignal | ClientAbort {
  const outgoing = c.env?.outgoing;
  if (!outgoing) return c.req.raw.signal;
  const signal = new ClientAbort();
  outgoing.once('close', () => {
    if (!outgoing.writableFinished) signal.abort();
  });
  return signal;
}
