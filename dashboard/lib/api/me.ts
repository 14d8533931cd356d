import { queryOptions } from '@tanstack/react-query';
import { api } from './client';

export const meKeys = {
  all: ['me'] as const,
  detail: () => [...meKeys.all, 'detail'] as const,
};

export const meQueryOptions = () =>
  queryOptions({ queryKey: meKeys.detail(), queryFn: ({ signal }) => api.getMe({ signal }) });
