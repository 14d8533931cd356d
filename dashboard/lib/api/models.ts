import { catalogKeys, catalogQueryOptions } from './catalog';
import { api } from './client';

/** The model catalog: admins see every model, members the enabled ones they may use. */
export const modelKeys = catalogKeys('models');

export const modelsQueryOptions = (orgId: string) => catalogQueryOptions(modelKeys, orgId, api.listModels);
