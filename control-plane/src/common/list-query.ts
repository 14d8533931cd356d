import { z } from 'zod';

export const LimitParam = z.coerce
  .number({ message: 'must be a number' })
  .int('must be a whole number')
  .min(1, 'must be at least 1')
  .max(200, 'must be at most 200')
  .default(50);

export const CursorParam = z.string().max(512, 'is not a valid cursor').optional();

/** `?limit=&cursor=` for lists ordered by a name and id. */
export const PageQuerySchema = z.strictObject({ limit: LimitParam, cursor: CursorParam });
export type PageQuery = z.infer<typeof PageQuerySchema>;
