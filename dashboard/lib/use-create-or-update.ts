import type { UseMutationResult } from '@tanstack/react-query';

/**
 * The save logic of a modal that creates (no `item`) or edits `item` with two mutations: an edit sends
 * only what changed (nothing changed: it just closes), and closing clears both mutations' errors.
 */
export const useCreateOrUpdate = <Created, Updated>({
  item,
  create,
  update,
  onClose,
  onCreated,
}: {
  item: { id: string } | null;
  create: UseMutationResult<Created, Error, unknown>;
  update: UseMutationResult<Updated, Error, { id: string; body: unknown }>;
  onClose: () => void;
  /** Instead of closing after a create: the caller moves on with the new item. */
  onCreated?: (created: Created) => void;
}) => {
  const mutation = item ? update : create;

  const close = () => {
    create.reset();
    update.reset();
    onClose();
  };

  const submit = (body: Record<string, unknown>) => {
    if (item) {
      if (Object.keys(body).length === 0) return close();
      update.mutate({ id: item.id, body }, { onSuccess: close });
      return;
    }
    create.mutate(body, {
      onSuccess: (created) => {
        if (!onCreated) return close();
        create.reset();
        onCreated(created);
      },
    });
  };

  return { close, submit, error: mutation.error, busy: mutation.isPending };
};
