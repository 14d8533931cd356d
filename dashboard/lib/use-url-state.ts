'use client';

import { usePathname, useRouter, useSearchParams } from 'next/navigation';
import { useCallback } from 'react';

/**
 * Table state (filters, sort, page) kept in the URL, so a reload, the back button or a shared
 * link shows the same view. Setting a value to '' or null removes it from the URL.
 */
export const useUrlState = <K extends string>(
  defaults: Record<K, string>,
): [Record<K, string>, (patch: Partial<Record<K, string | null>>) => void] => {
  const params = useSearchParams();
  const router = useRouter();
  const pathname = usePathname();

  const state = {} as Record<K, string>;
  for (const name of Object.keys(defaults) as K[]) state[name] = params.get(name) ?? defaults[name];

  const set = useCallback(
    (patch: Partial<Record<K, string | null>>) => {
      const next = new URLSearchParams(params.toString());
      for (const [name, value] of Object.entries(patch) as [K, string | null | undefined][]) {
        if (value === null || value === undefined || value === '' || value === defaults[name])
          next.delete(name);
        else next.set(name, value);
      }
      const query = next.toString();
      router.replace(query ? `${pathname}?${query}` : pathname, { scroll: false });
    },
    [params, router, pathname, defaults],
  );

  return [state, set];
};
