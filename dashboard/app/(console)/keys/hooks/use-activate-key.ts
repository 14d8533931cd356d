import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useToast } from '@/components/ui/toast';
import { keyKeys, setKeyState } from '@/lib/api/keys';
import { useOrg } from '@/lib/org-context';

export const useActivateKey = () => {
  const { org } = useOrg();
  const queryClient = useQueryClient();
  const toast = useToast();
  return useMutation({
    mutationFn: (id: string) => setKeyState(org.id, id, 'activate'),
    onSuccess: (key) => {
      void queryClient.invalidateQueries({ queryKey: keyKeys.org(org.id) });
      toast.success(`Key "${key.name}" activated`);
    },
  });
};
