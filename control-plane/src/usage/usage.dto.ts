import { USAGE_BUCKETS, type UsageBucket } from '@portcullis/shared/usage';
import { z } from 'zod';
import { CursorParam, LimitParam } from '../common/list-query';

const IsoParam = z.iso.datetime({ offset: true, message: 'must be an ISO-8601 date-time' });
const UuidParam = (what: string) => z.uuid(`must be ${what} id (a UUID)`);

// The views (report, sums, request rows) are declared once in shared, for the dashboard too.
export type { KeyRequestView, UsageBucket, UsageReport, UsageSums } from '@portcullis/shared/usage';

/** The longest range one `GET …/usage` may cover, per bucket size. */
export const MAX_RANGE_DAYS: Record<UsageBucket, number> = { hour: 31, day: 366 };

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
