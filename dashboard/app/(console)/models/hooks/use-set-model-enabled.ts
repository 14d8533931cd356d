import { api } from '@/lib/api/client';
import { modelKeys } from '@/lib/api/models';
import { useInvalidatingMutation } from '@/lib/use-invalidating-mutation';

/** The list's enabled switch: a disabled model is refused by every gateway (model_not_found). */
export const useSetModelEnabled = (orgId: string) =>
  useInvalidatingMutation({
    mutationFn: ({ id, enabled }: { id: string; enabled: boolean }) =>
      api.updateModel({ org: orgId, id, body: { enabled } }),
    invalidate: [modelKeys.lists(orgId)],
    success: (model) => `Model ${model.slug} ${model.enabled ? 'enabled' : 'disabled'}`,
    // A switch has no field to show the error under: the toast is where it shows.
    failure: ({ enabled }) => `Could not ${enabled ? 'enable' : 'disable'} the model`,
  });
