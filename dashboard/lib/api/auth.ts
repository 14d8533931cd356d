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
