import { queryOptions } from '@tanstack/react-query';
import { z } from 'zod';
import { apiFetch } from './client';
import { type LoginResponse, LoginResponseSchema } from './schemas';

export interface Credentials {
  email: string;
  password: string;
}

export const login = (credentials: Credentials): Promise<LoginResponse> =>
  apiFetch('/api/v1/auth/login', { method: 'POST', body: credentials, schema: LoginResponseSchema });

export const logout = (): Promise<undefined> =>
  apiFetch('/api/v1/auth/logout', { method: 'POST', schema: z.undefined() });

const SessionViewSchema = z.object({
  id: z.string(),
  current: z.boolean(),
  createdAt: z.string(),
  expiresAt: z.string(),
  sourceIp: z.string().nullable(),
  userAgent: z.string().nullable(),
});
export type SessionView = z.infer<typeof SessionViewSchema>;

export const sessionKeys = {
  all: ['sessions'] as const,
  list: () => [...sessionKeys.all, 'list'] as const,
};

/** The signed-in user's live sessions (never a token). */
export const sessionsQueryOptions = () =>
  queryOptions({
    queryKey: sessionKeys.list(),
    queryFn: ({ signal }) =>
      apiFetch('/api/v1/auth/sessions', {
        schema: z.object({ data: z.array(SessionViewSchema) }),
        signal,
      }),
  });

/** Changes the password; the control plane ends every other session of the user. */
export const changePassword = (body: { currentPassword: string; newPassword: string }) =>
  apiFetch('/api/v1/auth/password', { method: 'POST', body, schema: z.undefined() });

/** Ends every session of the user, this one included. */
export const logoutEverywhere = (): Promise<undefined> =>
  apiFetch('/api/v1/auth/logout-everywhere', { method: 'POST', schema: z.undefined() });
