import { z } from 'zod';
import { AUDIT_ACTIONS } from '../audit';
import { MEMBER_STATUSES } from '../auth';
import { USAGE_BUCKETS } from '../usage';

/** The query strings the control plane's lists and deletes take (strict: an unknown parameter is a 400). */

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

const IsoParam = z.iso.datetime({ offset: true, message: 'must be an ISO-8601 date-time' });
const UuidParam = (what: string) => z.uuid(`must be ${what} id (a UUID)`);

export const KeyRequestsQuerySchema = z.strictObject({
  from: IsoParam.optional(),
  to: IsoParam.optional(),
  limit: LimitParam,
  cursor: CursorParam,
});
export type KeyRequestsQuery = z.output<typeof KeyRequestsQuerySchema>;

export const UsageQuerySchema = z.strictObject({
  keyId: UuidParam('a key').optional(),
  userId: UuidParam('a user').optional(),
  groupId: UuidParam('a group').optional(),
  /** Extension: one model slug. */
  model: z.string().min(1).max(200, 'must be at most 200 characters').optional(),
  from: IsoParam.optional(),
  to: IsoParam.optional(),
  bucket: z.enum(USAGE_BUCKETS, { message: "must be 'hour' or 'day'" }).default('hour'),
});
export type UsageQuery = z.output<typeof UsageQuerySchema>;

export const AuditQuerySchema = z.strictObject({
  action: z.enum(AUDIT_ACTIONS, { message: 'must be an action the control plane records' }).optional(),
  targetId: z.string().max(100, 'must be at most 100 characters').optional(),
  limit: LimitParam,
  cursor: CursorParam,
});
export type AuditQuery = z.output<typeof AuditQuerySchema>;

export const UsersQuerySchema = z.strictObject({
  search: z.string().max(200, 'must be at most 200 characters').optional(),
  status: z.enum(MEMBER_STATUSES, { message: "must be 'active', 'invited' or 'suspended'" }).optional(),
  limit: LimitParam,
  cursor: CursorParam,
});
export type UsersQuery = z.output<typeof UsersQuerySchema>;

/** `DELETE …?force=true`: delete what still depends on it too. */
export const ForceQuerySchema = z.strictObject({
  force: z.enum(['true', 'false'], 'must be true or false').optional(),
});
export type ForceQuery = z.output<typeof ForceQuerySchema>;
