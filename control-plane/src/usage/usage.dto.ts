import { z } from 'zod';
import { CursorParam, LimitParam } from '../common/list-query';

const IsoParam = z.iso.datetime({ offset: true, message: 'must be an ISO-8601 date-time' });
const UuidParam = (what: string) => z.uuid(`must be ${what} id (a UUID)`);

export const USAGE_BUCKETS = ['hour', 'day'] as const;
export type UsageBucket = (typeof USAGE_BUCKETS)[number];

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

/** One row of a key's usage history. */
export interface KeyRequestView {
  id: string;
  time: string;
  method: string;
  route: string;
  model: string | null;
  provider: string | null;
  status: number;
  errorCode: string | null;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  estimated: boolean;
  aborted: boolean;
  latencyMs: number;
  sourceIp: string | null;
  userAgent: string | null;
  gatewayId: string;
  requestId: string;
  userId: string;
  metadata: Record<string, unknown>;
}

export interface UsageSums {
  requests: number;
  errors: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
}

export interface UsageReport {
  bucket: UsageBucket;
  from: string;
  to: string;
  data: (UsageSums & { start: string })[];
  totals: UsageSums;
  byKey: (UsageSums & { keyId: string; name: string | null })[];
  byUser: (UsageSums & { userId: string; name: string | null; email: string | null })[];
  byModel: (UsageSums & { model: string | null })[];
}
