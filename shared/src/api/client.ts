import { z } from 'zod';
import type { FieldIssue } from '../errors';
import { invalidInputMessage, issuesToFields } from '../validation';
import { API_ROUTES, type ApiRoutes, type OperationId, type RouteSpec } from './routes';

/**
 * A typed client of the control plane, derived from the route table: one function per operationId,
 * which checks the request body with the route's schema before sending it and parses the answer with
 * the route's response schema. Every failure is an `ApiError`. No `node:` imports: the dashboard runs it.
 */

/** One bad field, as the control plane reports it on a 400. */
export type ApiErrorDetail = FieldIssue;

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

// Lenient on purpose: a code this client does not know, or odd details, still make an error with its message.
const ErrorBodySchema = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }),
});
const DetailsSchema = z.array(z.object({ field: z.string(), message: z.string() }));

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
  const parsed = ErrorBodySchema.safeParse(json);
  if (!parsed.success) return new ApiError(status, `http_${status}`, fallbackMessage(status));
  const { code, message, details } = parsed.data.error;
  const fields = DetailsSchema.safeParse(details);
  return new ApiError(status, code, message, fields.success ? fields.data : undefined);
};

/**
 * Checks a request body with its schema before it is sent. A failure is the API's own 400 shape, so a
 * form shows it exactly as it shows the server's answer, and nothing the user typed is lost.
 */
export const validateBody = <S extends z.ZodType>(schema: S, body: unknown): z.output<S> => {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  throw new ApiError(400, 'invalid_request', 'Check the highlighted fields.', issuesToFields(parsed.error));
};

type ParamNames<P extends string> = P extends `${string}{${infer Name}}${infer Rest}`
  ? Name | ParamNames<Rest>
  : never;

type QueryInput<R> = R extends { query: infer Q extends z.ZodType } ? { query?: z.input<Q> } : unknown;
type BodyInput<R> = R extends { body: infer B extends z.ZodType }
  ? R extends { bodyOptional: true }
    ? { body?: z.input<B> }
    : { body: z.input<B> }
  : unknown;

/** What one operation takes: its path parameters by name, `query` and `body` where it has them. */
export type OperationInput<R extends RouteSpec> = { [K in ParamNames<R['path']>]: string } & QueryInput<R> &
  BodyInput<R> & { signal?: AbortSignal };
/** What one operation answers (undefined for a 204). */
export type OperationOutput<R extends RouteSpec> = R['response'] extends z.ZodType
  ? z.output<R['response']>
  : undefined;

type Operation<R extends RouteSpec> =
  object extends OperationInput<R>
    ? (input?: OperationInput<R>) => Promise<OperationOutput<R>>
    : (input: OperationInput<R>) => Promise<OperationOutput<R>>;

export type ApiClient = { [K in OperationId]: Operation<ApiRoutes[K]> };

export interface ApiClientOptions {
  /** Where `/api/v1` is, e.g. `http://localhost:4000`; empty for the same origin. */
  baseUrl?: string;
  fetch?: typeof fetch;
  /** Sent with every call (a token, say); a function is read at each call. */
  headers?: Record<string, string> | (() => Record<string, string>);
  /** Extra `fetch` options for every call (`credentials`, `cache`). */
  init?: Omit<RequestInit, 'method' | 'headers' | 'body' | 'signal'>;
}

/** Query string from the set values only, so URLs (and cache keys built like them) stay stable. */
export const queryString = (params: Record<string, unknown>): string => {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value === undefined || value === null || value === '') continue;
    search.set(name, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
};

type AnyInput = Record<string, unknown> & {
  query?: Record<string, unknown>;
  body?: unknown;
  signal?: AbortSignal;
};

async function call(route: RouteSpec, options: ApiClientOptions, input: AnyInput = {}): Promise<unknown> {
  const path = route.path.replace(/\{([^}]+)\}/g, (_, name: string) => {
    const value = input[name];
    if (typeof value !== 'string') throw new TypeError(`${route.method} ${route.path}: ${name} is required`);
    return encodeURIComponent(value);
  });
  const url = `${options.baseUrl ?? ''}${path}${input.query ? queryString(input.query) : ''}`;
  const headers: Record<string, string> = {
    accept: route.text ? 'text/plain' : 'application/json',
    ...(typeof options.headers === 'function' ? options.headers() : options.headers),
  };
  let body: string | undefined;
  if (route.body && (input.body !== undefined || !route.bodyOptional)) {
    // Checked here as the control plane checks it (same schema, same 400), then sent as given.
    const parsed = route.body.safeParse(input.body);
    if (!parsed.success) {
      const details = issuesToFields(parsed.error);
      throw new ApiError(400, 'invalid_request', invalidInputMessage('body', details), details);
    }
    body = JSON.stringify(input.body);
    headers['content-type'] = 'application/json';
  }

  let response: Response;
  try {
    response = await (options.fetch ?? fetch)(url, {
      ...options.init,
      method: route.method,
      headers,
      body,
      signal: input.signal,
    });
  } catch (error) {
    if (input.signal?.aborted) throw error;
    throw new ApiError(
      0,
      'network_error',
      'Could not reach the server. Check your connection and try again.',
    );
  }

  const text = await response.text();
  if (!response.ok) throw parseApiError(response.status, text);
  if (route.response === null) return undefined;
  if (route.text) return text;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ApiError(response.status, 'invalid_response', 'The server sent a response that is not JSON.');
  }
  const parsed = route.response.safeParse(json);
  if (!parsed.success) {
    throw new ApiError(
      response.status,
      'invalid_response',
      'The server sent a response of an unexpected shape.',
    );
  }
  return parsed.data;
}

/** One typed function per operationId of the route table. */
export function createApiClient(options: ApiClientOptions = {}): ApiClient {
  return Object.fromEntries(
    (Object.entries(API_ROUTES) as [OperationId, RouteSpec][]).map(([id, route]) => [
      id,
      (input?: AnyInput) => call(route, options, input),
    ]),
  ) as unknown as ApiClient;
}
