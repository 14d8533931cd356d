import type { CreateModelInput, ModelView, UpdateModelInput } from '@portcullis/shared/providers';
import { catalogKeys, catalogQueryOptions, deleteItem, itemPath } from './catalog';
import { apiFetch } from './client';
import { objectSchema, orgApi } from './org';

/** The model catalog (`/orgs/:org/models`): admins see every model, members the enabled ones they may use. */
export const modelKeys = catalogKeys('models');

const ModelSchema = objectSchema<ModelView>();

export const modelsQueryOptions = (orgId: string) =>
  catalogQueryOptions(modelKeys, orgId, '/models', ModelSchema);

/** What the create form sends: `enabled` may be left to the API's default (true). */
export type CreateModelBody = Omit<CreateModelInput, 'enabled'> & { enabled?: boolean };

export const createModel = (orgId: string, body: CreateModelBody): Promise<ModelView> =>
  apiFetch(orgApi(orgId, '/models'), { method: 'POST', body, schema: ModelSchema });

export const updateModel = (orgId: string, id: string, body: UpdateModelInput): Promise<ModelView> =>
  apiFetch(itemPath(orgId, '/models', id), {
    method: 'PATCH',
    body,
    schema: ModelSchema,
  });

export const deleteModel = (orgId: string, id: string): Promise<undefined> =>
  deleteItem(itemPath(orgId, '/models', id));
