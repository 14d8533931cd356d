import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useToast } from '@/components/ui/toast';
import { errorMessage } from '@/lib/api/errors';
import { modelKeys, updateModel } from '@/lib/api/models';

/** The list's enabled switch: a disabled model is refused by every gateway (model_not_found). */
export const useSetModelEnabled = (orgId: string) => {
  const queryClient = useQueryClient();
  const toast = useToast();
  return useMutation({
    mutationFn: ({ id, enabled }: { id: string; enabled: boolean }) => updateModel(orgId, id, { enabled }),
    onSuccess: async (model) => {
      await queryClient.invalidateQueries({ queryKey: modelKeys.lists(orgId) });
      toast.success(`Model ${model.slug} ${model.enabled ? 'enabled' : 'disabled'}`);
    },
    onError: (error, { enabled }) => {
      // A switch has no field to show the error under: the toast is where it shows.
      toast.error(`Could not ${enabled ? 'enable' : 'disable'} the model: ${errorMessage(error)}`);
    },
  });
};
