/** A plain HTTP client for the control plane's REST API, as a script or the dashboard would call it. */
import { answerProblem } from '@portcullis/shared/api/check';
import { matchRoute } from '@portcullis/shared/api/routes';

export interface ApiResponse<T = unknown> {
  status: number;
  /** The JSON body, the text when it is not JSON, or null when empty. */
  body: T;
  text: string;
  headers: Headers;
}

/** The control plane's error shape (API.md). */
export interface ErrorBody {
  error: { code: string; message: string; details?: { field: string; message: string }[] };
}

export interface RequestOptions {
  /** Sent as `Authorization: Bearer …`. */
  token?: string | undefined;
  /** Sent as JSON (`content-type: application/json` unless `headers` sets one). */
  body?: unknown;
  /** Sent as is, instead of `body`. */
  rawBody?: string | undefined;
  headers?: Record<string, string> | undefined;
}

const checkedOrigins = new Set<string>();

/**
 * From now on, every answer from the control plane at `baseUrl` to a route of the shared route table
 * must be what the table documents (`answerProblem`); `request` throws when it is not.
 */
export function checkAnswersFrom(baseUrl: string): void {
  checkedOrigins.add(new URL(baseUrl).origin);
}

function checkAnswer(method: string, url: string, status: number, body: unknown): void {
  const { origin, pathname } = new URL(url);
  if (!checkedOrigins.has(origin)) return;
  const route = matchRoute(method, pathname);
  const problem = route && answerProblem(route, status, body);
  if (problem) throw new Error(`${method} ${pathname} → ${status}: ${problem}`);
}

/** One request to `url`; never throws on an HTTP status (only on an answer the route table does not document). */
export async function request<T = unknown>(
  method: string,
  url: string,
  opts: RequestOptions = {},
): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  let body: string | undefined;
  if (opts.rawBody !== undefined) body = opts.rawBody;
  else if (opts.body !== undefined) body = JSON.stringify(opts.body);
  if (body !== undefined && !headers['content-type']) headers['content-type'] = 'application/json';
  const res = await fetch(url, { method, headers, body });
  const text = await res.text();
  let parsed: unknown = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = text;
  }
  checkAnswer(method, url, res.status, parsed);
  return { status: res.status, body: parsed as T, text, headers: res.headers };
}

/** Like `request`, for calls that must succeed: throws with the answer on a status of 400 or more. */
export async function requestOk<T = unknown>(
  method: string,
  url: string,
  opts: RequestOptions = {},
): Promise<T> {
  const res = await request<T>(method, url, opts);
  if (res.status >= 400) throw new Error(`${method} ${url}: ${res.status} ${res.text}`);
  return res.body;
}

/** A caller of the control plane's REST API at `cpUrl` (paths below /api/v1), for calls that must succeed. */
export function controlPlaneApi(cpUrl: string) {
  return <T = unknown>(method: string, apiPath: string, token?: string | null, body?: unknown): Promise<T> =>
    requestOk<T>(method, `${cpUrl}/api/v1${apiPath}`, { token: token ?? undefined, body });
}

/** Signs in with a password: the session token and the first organization's id. */
export async function signIn(
  cpUrl: string,
  email: string,
  password: string,
): Promise<{ token: string; orgId: string }> {
  const login = await controlPlaneApi(cpUrl)<{ token: string; organizations: { id: string }[] }>(
    'POST',
    '/auth/login',
    null,
    { email, password },
  );
  return { token: login.token, orgId: login.organizations[0]?.id ?? '' };
}
