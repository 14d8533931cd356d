import type { CreateGatewayTokenInput } from '@portcullis/shared/gateways';
import { api } from '@/lib/api/client';
import { gatewayKeys } from '@/lib/api/gateways';
import { useInvalidatingMutation } from '@/lib/use-invalidating-mutation';

/** Validated by the control plane (the shared schema's module holds Node-only code the browser cannot load). */
export const useCreateGatewayToken = (orgId: string) =>
  useInvalidatingMutation({
    mutationFn: (body: CreateGatewayTokenInput) => api.createGatewayToken({ org: orgId, body }),
    invalidate: [gatewayKeys.lists(orgId)],
    success: ({ gateway }) => `Gateway ${gateway.name} attached: start it with its token`,
  });
