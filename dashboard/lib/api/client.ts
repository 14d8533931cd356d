import { createApiClient } from '@portcullis/shared/api/client';

export { ApiError, type ApiErrorDetail, isApiError, parseApiError } from '@portcullis/shared/api/client';

/**
 * The control plane, called through the dashboard's same-origin `/api` proxy, so the HttpOnly session
 * cookie travels without the browser ever seeing a token. One typed function per operation of the
 * shared route table.
 */
export const api = createApiClient({ init: { credentials: 'same-origin', cache: 'no-store' } });
