import { deleteGateway, gatewayKeys } from '@/lib/api/gateways';
import { useInvalidatingMutation } from '@/lib/use-invalidating-mutation';

export const useDeleteGateway = (orgId: string) =>
  useInvalidatingMutation({
    mutationFn: ({ id }: { id: string; name: string }) => deleteGateway(orgId, id),
    invalidate: [gatewayKeys.lists(orgId)],
    success: (_, { name }) => `Gateway ${name} detached`,
  });
