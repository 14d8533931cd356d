import { type UsageBucket } from '@portcullis/shared/usage';

// The views (report, sums, request rows) are declared once in shared, for the dashboard too.
export type { KeyRequestView, UsageBucket, UsageReport, UsageSums } from '@portcullis/shared/usage';

/** The longest range one `GET …/usage` may cover, per bucket size. */
export const MAX_RANGE_DAYS: Record<UsageBucket, number> = { hour: 31, day: 366 };

export {
  type KeyRequestsQuery,
  KeyRequestsQuerySchema,
  type UsageQuery,
  UsageQuerySchema,
} from '@portcullis/shared/api/queries';
