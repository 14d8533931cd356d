import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useToast } from '@/components/ui/toast';
import { deleteGateway, gatewayKeys } from '@/lib/api/gateways';

export const useDeleteGateway = (orgId: string) => {
  const queryClient = useQueryClient();
  const toast = useToast();
  return useMutation({
    mutationFn: ({ id }: { id: string; name: string }) => deleteGateway(orgId, id),
    onSuccess: async (_, { name }) => {
      await queryClient.invalidateQueries({ queryKey: gatewayKeys.lists(orgId) });
      toast.success(`Gateway ${name} detached`);
    },
  });
};
