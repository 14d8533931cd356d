import { useCallback, useState } from 'react';

/**
 * Open state for a dialog that mounts anew at each opening: pass `key` as its React key so its form
 * starts from the stored values and never loses typing to a refetch.
 */
export const useFreshDialog = () => {
  const [open, setOpen] = useState(false);
  const [key, setKey] = useState(0);
  const show = useCallback(() => {
    setKey((n) => n + 1);
    setOpen(true);
  }, []);
  const close = useCallback(() => setOpen(false), []);
  return { open, key, show, close };
};
