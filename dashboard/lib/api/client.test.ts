import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { ApiError, apiFetch, parseApiError } from './client';

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

describe('apiFetch', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('returns the parsed body on success and throws ApiError otherwise', async () => {
    const fetchMock = vi
      .fn<typeof fetch>()
      .mockResolvedValueOnce(Response.json({ ok: true }))
      .mockResolvedValueOnce(
        Response.json({ error: { code: 'unauthorized', message: 'Sign in' } }, { status: 401 }),
      )
      .mockResolvedValueOnce(new Response(null, { status: 204 }));
    vi.stubGlobal('fetch', fetchMock);

    await expect(apiFetch('/api/v1/x', { schema: z.object({ ok: z.boolean() }) })).resolves.toEqual({
      ok: true,
    });
    await expect(apiFetch('/api/v1/x', { schema: z.unknown() })).rejects.toMatchObject({
      status: 401,
      code: 'unauthorized',
    });
    await expect(apiFetch('/api/v1/x', { method: 'POST', schema: z.undefined() })).resolves.toBeUndefined();
  });

  it('reports a network failure as status 0', async () => {
    vi.stubGlobal('fetch', vi.fn<typeof fetch>().mockRejectedValue(new TypeError('fetch failed')));
    await expect(apiFetch('/api/v1/me', { schema: z.unknown() })).rejects.toMatchObject({
      status: 0,
      code: 'network_error',
    });
  });
});
