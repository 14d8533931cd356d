import { queryOptions } from '@tanstack/react-query';
import { apiFetch } from './client';
import { SessionSchema } from './schemas';

export const meKeys = {
  all: ['me'] as const,
  detail: () => [...meKeys.all, 'detail'] as const,
};

export const meQueryOptions = () =>
  queryOptions({
    queryKey: meKeys.detail(),
    queryFn: ({ signal }) => apiFetch('/api/v1/me', { schema: SessionSchema, signal }),
  });
