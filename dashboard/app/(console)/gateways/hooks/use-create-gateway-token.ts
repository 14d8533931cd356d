import type { CreateGatewayTokenInput } from '@portcullis/shared/gateways';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useToast } from '@/components/ui/toast';
import { createGatewayToken, gatewayKeys } from '@/lib/api/gateways';

/** Validated by the control plane (the shared schema's module holds Node-only code the browser cannot load). */
export const useCreateGatewayToken = (orgId: string) => {
  const queryClient = useQueryClient();
  const toast = useToast();
  return useMutation({
    mutationFn: (body: CreateGatewayTokenInput) => createGatewayToken(orgId, body),
    onSuccess: async ({ gateway }) => {
      await queryClient.invalidateQueries({ queryKey: gatewayKeys.lists(orgId) });
      toast.success(`Gateway ${gateway.name} attached: start it with its token`);
    },
  });
};
