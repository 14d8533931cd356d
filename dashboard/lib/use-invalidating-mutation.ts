import { type QueryKey, useMutation, useQueryClient } from '@tanstack/react-query';
import { useToast } from '@/components/ui/toast';
import { errorMessage } from '@/lib/api/errors';

/**
 * The shape of every mutation hook: on success, refetch the lists it changed (awaited, so the page shows
 * the change when the toast does) and confirm in a toast; with `failure`, an error also shows in a toast
 * (for controls that have no place of their own to show it).
 */
export const useInvalidatingMutation = <TData, TVariables>({
  mutationFn,
  invalidate,
  success,
  failure,
}: {
  mutationFn: (variables: TVariables) => Promise<TData>;
  invalidate: readonly QueryKey[] | ((variables: TVariables) => readonly QueryKey[]);
  success: (data: TData, variables: TVariables) => string;
  failure?: (variables: TVariables) => string;
}) => {
  const queryClient = useQueryClient();
  const toast = useToast();
  return useMutation({
    mutationFn,
    onSuccess: async (data, variables) => {
      const keys = typeof invalidate === 'function' ? invalidate(variables) : invalidate;
      await Promise.all(keys.map((queryKey) => queryClient.invalidateQueries({ queryKey })));
      toast.success(success(data, variables));
    },
    onError: failure
      ? (error, variables) => toast.error(`${failure(variables)}: ${errorMessage(error)}`)
      : undefined,
  });
};
