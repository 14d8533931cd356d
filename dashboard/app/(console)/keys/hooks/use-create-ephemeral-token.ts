import { useMutation } from '@tanstack/react-query';
import { useToast } from '@/components/ui/toast';
import { api } from '@/lib/api/client';
import { useOrg } from '@/lib/org-context';

export interface IssuedToken {
  token: string;
  expiresAt: string;
}

/**
 * Issues an ephemeral token; the token goes to `onToken` (component state), the mutation keeps only
 * its expiry. Nothing cached changes: the key's own view is the same before and after.
 */
export const useCreateEphemeralToken = (onToken: (issued: IssuedToken) => void) => {
  const { org } = useOrg();
  const toast = useToast();
  return useMutation({
    mutationFn: async ({ keyId, expiresInSeconds }: { keyId: string; expiresInSeconds: number }) => {
      const { token, expiresAt } = await api.createEphemeralToken({
        org: org.id,
        id: keyId,
        body: { expiresInSeconds },
      });
      onToken({ token, expiresAt });
      return { expiresAt };
    },
    onSuccess: () => toast.success('Ephemeral token issued'),
  });
};
