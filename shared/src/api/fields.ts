import { z } from 'zod';

/** Field shapes every view of the REST API shares (API.md: ISO-8601 UTC timestamps, ids as opaque strings). */
export const Timestamp = z.iso.datetime();

/** The list envelope: `{ data, nextCursor }`. */
export const pageOf = <T extends z.ZodType>(item: T) =>
  z.object({ data: z.array(item), nextCursor: z.string().nullable() });
