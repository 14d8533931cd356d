import { z } from 'zod';

/** `/api/v1/orgs/:org<path>` through the dashboard's same-origin proxy. */
export const orgApi = (orgId: string, path = ''): string =>
  `/api/v1/orgs/${encodeURIComponent(orgId)}${path}`;

/** The control plane's list envelope: `{ data, nextCursor }`. */
export const listSchema = <T extends z.ZodType>(item: T) =>
  z.object({ data: z.array(item), nextCursor: z.string().nullable() });

export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

/** Query string from the set values only, so cache keys and URLs stay stable. */
export const queryString = (params: Record<string, string | number | boolean | null | undefined>): string => {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value === undefined || value === null || value === '') continue;
    search.set(name, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
};

/** Any JSON object: for views typed by the shared interfaces, checked only for being an object. */
export const objectSchema = <T>() => z.custom<T>((value) => typeof value === 'object' && value !== null);
