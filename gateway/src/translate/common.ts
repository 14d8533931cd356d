import type { ChunkTransform } from '../upstream/relay.js';

export type Obj = Record<string, unknown>;
export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
export const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
export const count = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : 0);

/** A request field the other wire format has no place for: the client gets a 400 naming it. */
export class Unmappable extends Error {
  constructor(
    readonly field: string,
    reason: string,
  ) {
    super(`${field}: ${reason}`);
  }
}

/** Throws Unmappable for `field` (used deep inside the request translators, caught at their entry). */
export function refuse(field: string, reason: string): never {
  throw new Unmappable(field, reason);
}

/** How the answer to one translated request is turned back into the client's format. */
export interface ResponseTranslator {
  /** A whole successful JSON answer. */
  json(body: unknown): unknown;
  /** An error answer (any status ≥ 400), whatever its body, in the client's error shape. */
  error(status: number, body: Uint8Array): unknown;
  /** A streamed answer, event by event. */
  stream(): ChunkTransform;
}

export type TranslatedRequest =
  | { ok: true; body: Obj; response: ResponseTranslator }
  | { ok: false; field: string; message: string };

/** Runs a request translator, turning a refused field into a result (never an exception past here). */
export function translating(
  format: string,
  translate: () => { body: Obj; response: ResponseTranslator },
): TranslatedRequest {
  try {
    return { ok: true, ...translate() };
  } catch (err) {
    if (!(err instanceof Unmappable)) throw err;
    return {
      ok: false,
      field: err.field,
      message: `This request cannot be translated for a model served in the ${format} format: ${err.message}`,
    };
  }
}

/**
 * An upstream error body of any provider's shape: its message (`error.message`, `message`, else its
 * text) and its `error.type` when it says one.
 */
export function readError(status: number, body: Uint8Array): { message: string; type: string | null } {
  const text = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  try {
    const parsed: unknown = JSON.parse(text);
    if (isObj(parsed)) {
      const inner = isObj(parsed.error) ? parsed.error : parsed;
      const message = str(inner.message);
      if (message) return { message, type: str(inner.type) ?? null };
    }
  } catch {
    // Not JSON: its text below.
  }
  const trimmed = text.trim().slice(0, 1000);
  return { message: trimmed.length > 0 ? trimmed : `The provider answered HTTP ${status}`, type: null };
}
