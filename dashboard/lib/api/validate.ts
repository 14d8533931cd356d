import { issuesToFields } from '@portcullis/shared/validation';
import type { z } from 'zod';
import { ApiError } from './client';

/**
 * Checks a request body with the same shared schema the control plane uses, before sending it. A
 * failure is the API's own 400 shape, so forms show it with `fieldError` / `otherFieldErrors` exactly as
 * they show the server's answer, and nothing the user typed is lost.
 */
export const validateBody = <S extends z.ZodType>(schema: S, body: unknown): z.output<S> => {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  throw new ApiError(400, 'invalid_request', 'Check the highlighted fields.', issuesToFields(parsed.error));
};
