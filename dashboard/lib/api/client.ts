import { z } from 'zod';

/** One bad field, as the control plane reports it on a 400. */
export interface ApiErrorDetail {
  field: string;
  message: string;
}

const ApiErrorDetailsSchema = z.array(z.object({ field: z.string(), message: z.string() }));

const ApiErrorBodySchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    details: z.unknown().optional(),
  }),
});

/** Status 0 means the request never got an HTTP answer (offline, DNS, refused). */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly status: number;
  readonly code: string;
  readonly details: ApiErrorDetail[] | undefined;

  constructor(status: number, code: string, message: string, details?: ApiErrorDetail[]) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

export const isApiError = (error: unknown): error is ApiError => error instanceof ApiError;

const fallbackMessage = (status: number): string => {
  if (status === 401) return 'You are not signed in.';
  if (status === 403) return 'You do not have permission to do that.';
  if (status === 404) return 'Not found.';
  if (status === 429) return 'Too many requests. Try again in a moment.';
  if (status >= 500) return 'The server could not complete the request. Try again in a moment.';
  return `Request failed with status ${status}.`;
};

/**
 * Turns a status and raw body into an ApiError. Bodies that are not the documented
 * `{ error: { code, message, details? } }` shape (a proxy's HTML page, an empty body)
 * still produce a usable error rather than a parse failure.
 */
export const parseApiError = (status: number, bodyText: string): ApiError => {
  let json: unknown;
  try {
    json = JSON.parse(bodyText);
  } catch {
    return new ApiError(status, `http_${status}`, fallbackMessage(status));
  }
  const parsed = ApiErrorBodySchema.safeParse(json);
  if (!parsed.success) return new ApiError(status, `http_${status}`, fallbackMessage(status));
  const { code, message, details } = parsed.data.error;
  const fields = ApiErrorDetailsSchema.safeParse(details);
  return new ApiError(status, code, message, fields.success ? fields.data : undefined);
};

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface ApiFetchOptions<T> {
  /** Validates the success body; use `z.undefined()` for 204 answers. */
  schema: z.ZodType<T>;
  method?: HttpMethod;
  /** Sent as JSON. */
  body?: unknown;
  signal?: AbortSignal;
}

/**
 * Calls the control plane through the dashboard's same-origin `/api` proxy, so the
 * HttpOnly session cookie travels without the browser ever seeing a token.
 */
export const apiFetch = async <T>(path: string, options: ApiFetchOptions<T>): Promise<T> => {
  const { schema, method = 'GET', body, signal } = options;
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';

  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
      cache: 'no-store',
      signal,
    });
  } catch (error) {
    if (signal?.aborted) throw error;
    throw new ApiError(
      0,
      'network_error',
      'Could not reach the server. Check your connection and try again.',
    );
  }

  const text = await response.text();
  if (!response.ok) throw parseApiError(response.status, text);

  let json: unknown;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    throw new ApiError(response.status, 'invalid_response', 'The server sent a response that is not JSON.');
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    throw new ApiError(
      response.status,
      'invalid_response',
      'The server sent a response of an unexpected shape.',
    );
  }
  return parsed.data;
};
