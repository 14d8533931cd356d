import { type GatewayErrorCode, gatewayError } from '@portcullis/shared/errors';
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

/** Renders an OpenAI-shaped error body with the status its code maps to. */
export function errorResponse(c: Context, code: GatewayErrorCode, message: string): Response {
  const { status, body } = gatewayError(code, message);
  return c.json(body, status as ContentfulStatusCode);
}
