import { describe, expect, it } from 'vitest';
import { ApiError, createApiClient, parseApiError } from './client';

describe('parseApiError', () => {
  it('reads code, message and field details from the documented error body', () => {
    const body = JSON.stringify({
      error: {
        code: 'validation_failed',
        message: 'Invalid request',
        details: [{ field: 'email', message: 'Must be an email address' }],
      },
    });
    const error = parseApiError(400, body);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({
      status: 400,
      code: 'validation_failed',
      message: 'Invalid request',
      details: [{ field: 'email', message: 'Must be an email address' }],
    });
  });

  it('keeps the API message for 401 and 429', () => {
    const unauthorized = parseApiError(
      401,
      JSON.stringify({ error: { code: 'invalid_credentials', message: 'Email or password is incorrect' } }),
    );
    expect(unauthorized).toMatchObject({ status: 401, code: 'invalid_credentials', details: undefined });
    expect(unauthorized.message).toBe('Email or password is incorrect');
    const limited = parseApiError(
      429,
      JSON.stringify({ error: { code: 'too_many_attempts', message: 'Slow down' } }),
    );
    expect(limited).toMatchObject({ status: 429, code: 'too_many_attempts', message: 'Slow down' });
  });

  it('ignores details that are not a field list', () => {
    const error = parseApiError(
      409,
      JSON.stringify({ error: { code: 'conflict', message: 'In use', details: { usedBy: 2 } } }),
    );
    expect(error.details).toBeUndefined();
  });

  it('falls back to a readable error for bodies that are not JSON or not the error shape', () => {
    expect(parseApiError(502, '<html>Bad Gateway</html>')).toMatchObject({ status: 502, code: 'http_502' });
    expect(parseApiError(500, '')).toMatchObject({ status: 500, code: 'http_500' });
    expect(parseApiError(404, '{"message":"nope"}')).toMatchObject({
      status: 404,
      code: 'http_404',
      message: 'Not found.',
    });
  });
});

/** A `fetch` that records each request and answers the next of `answers`. */
function recording(...answers: (Response | Error)[]) {
  const requests: { url: string; init: RequestInit }[] = [];
  const fetchFn = async (url: string | URL | Request, init?: RequestInit): Promise<Response> => {
    requests.push({ url: String(url), init: init ?? {} });
    const next = answers.shift();
    if (!next) throw new Error('no answer left');
    if (next instanceof Error) throw next;
    return next;
  };
  return { requests, fetch: fetchFn as typeof fetch };
}

const org = { id: 'o1', name: 'Org', role: 'admin', status: 'active', createdAt: '2026-01-01T00:00:00.000Z' };

describe('createApiClient', () => {
  it('fills the path, drops unset query values, and parses the answer with the route schema', async () => {
    const { requests, fetch } = recording(Response.json(org));
    const api = createApiClient({ baseUrl: 'http://cp', fetch, headers: { authorization: 'Bearer t' } });
    await expect(api.getOrg({ org: 'a/b' })).resolves.toEqual(org);
    expect(requests[0]?.url).toBe('http://cp/api/v1/orgs/a%2Fb');
    expect(requests[0]?.init.headers).toMatchObject({ authorization: 'Bearer t' });

    const list = recording(Response.json({ data: [], nextCursor: null }));
    await createApiClient({ fetch: list.fetch }).listKeys({ org: 'o1', query: { search: '', sort: 'name' } });
    expect(list.requests[0]?.url).toBe('/api/v1/orgs/o1/keys?sort=name');
  });

  it('refuses a bad body before sending it, with the 400 shape a form shows', async () => {
    const { requests, fetch } = recording();
    const error = await createApiClient({ fetch })
      .createOrg({ body: { name: '' } })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 400, code: 'invalid_request', details: [{ field: 'name' }] });
    expect(requests).toEqual([]);
  });

  it('throws ApiError for error answers, answers of another shape, and no answer at all', async () => {
    const { fetch } = recording(
      Response.json({ error: { code: 'unauthenticated', message: 'Sign in' } }, { status: 401 }),
      Response.json({ id: 'o1' }),
      new TypeError('fetch failed'),
      new Response(null, { status: 204 }),
    );
    const api = createApiClient({ fetch });
    await expect(api.getMe()).rejects.toMatchObject({
      status: 401,
      code: 'unauthenticated',
      message: 'Sign in',
    });
    await expect(api.getOrg({ org: 'o1' })).rejects.toMatchObject({ code: 'invalid_response' });
    await expect(api.getMe()).rejects.toMatchObject({ status: 0, code: 'network_error' });
    await expect(api.logout()).resolves.toBeUndefined();
  });
});
