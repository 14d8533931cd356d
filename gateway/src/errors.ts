import { type GatewayErrorCode, gatewayError } from '@portcullis/shared/errors';
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

/** Renders an OpenAI-shaped error body with the status its code maps to (the one place codes meet HTTP). */
export function errorResponse(
  c: Context,
  code: GatewayErrorCode,
  message: string,
  headers?: Record<string, string>,
): Response {
  const { status, body } = gatewayError(code, message);
  c.set('errorCode', code);
  return c.json(body, status as ContentfulStatusCode, headers);
}
