import { type UsageEvent, UsageEventSchema } from '@portcullis/shared/usage';
import { findUnstorableText } from '@portcullis/shared/validation';

/** Bounds past the schema's, so that no valid event can fail a Postgres column (bigint, timestamptz). */
const MAX_TOKENS = 1e12;
const MAX_COST_USD = 1e9;
const MAX_LATENCY_MS = 1e10;
/** An event is a few hundred bytes; metadata tags are capped at 4 KiB by the key schema. */
const MAX_EVENT_CHARS = 64 * 1024;
const MIN_TIME = Date.UTC(2000, 0, 1);
const MAX_TIME = Date.UTC(2200, 0, 1);

export type ParsedEntry = { ok: true; event: UsageEvent } | { ok: false; reason: string };

/**
 * One stream entry (`[field, value, field, value, …]`) → a usage event, or why it was refused. The
 * reason names fields only, never their values: events carry source IPs and user agents.
 */
export function parseUsageEntry(fields: readonly string[] | null): ParsedEntry {
  if (!fields) return { ok: false, reason: 'the entry was deleted' };
  let text: string | undefined;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    if (fields[i] === 'e') text = fields[i + 1];
  }
  if (text === undefined) return { ok: false, reason: 'no field e' };
  if (text.length > MAX_EVENT_CHARS) return { ok: false, reason: 'field e is too large' };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'field e is not JSON' };
  }
  const parsed = UsageEventSchema.safeParse(json);
  if (!parsed.success) {
    const paths = [...new Set(parsed.error.issues.map((i) => i.path.join('.') || '(root)'))].slice(0, 5);
    return { ok: false, reason: `invalid ${paths.join(', ')}` };
  }
  const e = parsed.data;
  const unstorable = findUnstorableText(e);
  if (unstorable !== null)
    return { ok: false, reason: `${unstorable.split('.')[0]} holds a NUL or a lone surrogate` };
  if (e.inputTokens > MAX_TOKENS || e.outputTokens > MAX_TOKENS)
    return { ok: false, reason: 'tokens out of range' };
  // The cache counts are part of inputTokens.
  if (e.cacheCreationInputTokens + e.cacheReadInputTokens > e.inputTokens)
    return { ok: false, reason: 'cache tokens exceed inputTokens' };
  if (e.costUsd > MAX_COST_USD) return { ok: false, reason: 'costUsd out of range' };
  if (e.latencyMs > MAX_LATENCY_MS) return { ok: false, reason: 'latencyMs out of range' };
  const t = Date.parse(e.time);
  if (!(t >= MIN_TIME && t < MAX_TIME)) return { ok: false, reason: 'time out of range' };
  return { ok: true, event: e };
}
