import { queryOptions } from '@tanstack/react-query';
import { api } from './client';

export type { SessionView } from '@portcullis/shared/auth';

export const sessionKeys = {
  all: ['sessions'] as const,
  list: () => [...sessionKeys.all, 'list'] as const,
};

/** The signed-in user's live sessions (never a token). */
export const sessionsQueryOptions = () =>
  queryOptions({ queryKey: sessionKeys.list(), queryFn: ({ signal }) => api.listSessions({ signal }) });
