import { api } from '@/lib/api/client';
import { gatewayKeys } from '@/lib/api/gateways';
import { useInvalidatingMutation } from '@/lib/use-invalidating-mutation';

export const useDeleteGateway = (orgId: string) =>
  useInvalidatingMutation({
    mutationFn: ({ id }: { id: string; name: string }) => api.deleteGateway({ org: orgId, id }),
    invalidate: [gatewayKeys.lists(orgId)],
    success: (_, { name }) => `Gateway ${name} detached`,
  });
