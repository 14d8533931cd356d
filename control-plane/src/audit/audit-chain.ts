import { createHash } from 'node:crypto';
import { stringify } from 'safe-stable-stringify';

/** The fields a chain hash covers; `created_at` is kept at millisecond precision so it round-trips. */
export interface ChainedFields {
  id: string;
  orgId: string;
  seq: string;
  actorType: string;
  actorId: string | null;
  action: string;
  targetType: string;
  targetId: string | null;
  sourceIp: string | null;
  before: unknown;
  after: unknown;
  createdAt: string;
  prevHash: string;
}

/** SHA-256 over a canonical (sorted-key) JSON of the row, so jsonb's key reordering cannot break it. */
export function chainHash(f: ChainedFields): string {
  return createHash('sha256')
    .update(stringify(f) ?? '', 'utf8')
    .digest('hex');
}

// Names that end in a secret-ish word (`secretHash`, `password`, `token`), not ones that merely
// contain it (`tokensPerMinute` is a limit and must stay readable in the trail).
const SECRET_FIELD = /(secret|password|token|hash)$/i;

/** Drops anything that looks like a secret from an audit snapshot, at any depth. */
export function redact(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redact);
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = SECRET_FIELD.test(k) ? '[redacted]' : redact(v);
    return out;
  }
  return value;
}
