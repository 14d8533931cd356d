import type { CreateModelInput, ModelView, UpdateModelInput } from '@portcullis/shared/providers';
import { queryOptions } from '@tanstack/react-query';
import { z } from 'zod';
import { apiFetch } from './client';
import { listAll } from './list-all';
import { objectSchema, orgApi } from './org';

/** The model catalog (`/orgs/:org/models`): admins see every model, members the enabled ones they may use. */
export const modelKeys = {
  all: ['models'] as const,
  lists: (orgId: string) => [...modelKeys.all, orgId, 'list'] as const,
  list: (orgId: string) => [...modelKeys.lists(orgId)] as const,
};

const ModelSchema = objectSchema<ModelView>();

export const modelsQueryOptions = (orgId: string) =>
  queryOptions({
    queryKey: modelKeys.list(orgId),
    queryFn: ({ signal }) => listAll(orgApi(orgId, '/models'), ModelSchema, signal),
  });

/** What the create form sends: `enabled` may be left to the API's default (true). */
export type CreateModelBody = Omit<CreateModelInput, 'enabled'> & { enabled?: boolean };

export const createModel = (orgId: string, body: CreateModelBody): Promise<ModelView> =>
  apiFetch(orgApi(orgId, '/models'), { method: 'POST', body, schema: ModelSchema });

export const updateModel = (orgId: string, id: string, body: UpdateModelInput): Promise<ModelView> =>
  apiFetch(orgApi(orgId, `/models/${encodeURIComponent(id)}`), {
    method: 'PATCH',
    body,
    schema: ModelSchema,
  });

export const deleteModel = (orgId: string, id: string): Promise<undefined> =>
  apiFetch(orgApi(orgId, `/models/${encodeURIComponent(id)}`), { method: 'DELETE', schema: z.undefined() });
