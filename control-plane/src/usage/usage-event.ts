import { type DeadLetterClass, type UsageEvent, UsageEventSchema } from '@portcullis/shared/usage';
import { findUnstorableText } from '@portcullis/shared/validation';

/** An event is a few hundred bytes; metadata tags are capped at 4 KiB by the key schema. */
const MAX_EVENT_CHARS = 64 * 1024;
/** Field names a refusal lists at most (a garbage object could have thousands). */
const MAX_NAMED_FIELDS = 5;

/** How far an event's `time` may be from the consumer's clock (USAGE_EVENT_MAX_* settings). */
export interface TimeWindow {
  /** Older than this is refused (a broken clock, a forged or replayed event rewriting closed months). */
  maxAgeMs: number;
  /** Later than this is refused: a future time would pre-spend a budget period not yet begun. */
  maxFutureMs: number;
}

/** Why an entry or an event is not counted: a class (closed set) and a reason naming fields only. */
export interface Refusal {
  class: DeadLetterClass;
  reason: string;
}

export type ParsedEntry = { ok: true; event: UsageEvent } | ({ ok: false } & Refusal);

const refuse = (cls: DeadLetterClass, reason: string): ParsedEntry => ({ ok: false, class: cls, reason });

/** One stream entry's JSON object (field `e`), or why there is none. */
export type EntryJson = { ok: true; json: Record<string, unknown> } | ({ ok: false } & Refusal);

/** One stream entry (`[field, value, field, value, …]`) → the JSON object of its field `e`. */
export function readEntryJson(fields: readonly string[] | null): EntryJson {
  if (!fields) return { ok: false, class: 'malformed', reason: 'the entry was deleted' };
  let text: string | undefined;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    if (fields[i] === 'e') text = fields[i + 1];
  }
  if (text === undefined) return { ok: false, class: 'malformed', reason: 'no field e' };
  if (text.length > MAX_EVENT_CHARS) return { ok: false, class: 'malformed', reason: 'field e is too large' };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, class: 'malformed', reason: 'field e is not JSON' };
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json))
    return { ok: false, class: 'invalid', reason: 'invalid (root)' };
  return { ok: true, json: json as Record<string, unknown> };
}

/**
 * A JSON object → a usage event, or why it is refused. Types and ranges are `UsageEventSchema`'s (one
 * line per field, shared with the gateways); what needs the clock is here; who signed it is the
 * consumer's (usage-signature.ts); what needs the database (key, organization, owner, price) is the
 * writer's. The reason names fields only, never their values: events carry source IPs and user agents.
 */
export function validateUsageJson(json: unknown, now: number, window: TimeWindow): ParsedEntry {
  const parsed = UsageEventSchema.safeParse(json);
  if (!parsed.success) {
    const paths = [...new Set(parsed.error.issues.map((i) => i.path.join('.') || '(root)'))];
    const named = paths.slice(0, MAX_NAMED_FIELDS).map(fieldName);
    const more = paths.length > MAX_NAMED_FIELDS ? ` and ${paths.length - MAX_NAMED_FIELDS} more` : '';
    return refuse('invalid', `invalid ${named.join(', ')}${more}`);
  }
  const e = parsed.data;
  const unstorable = findUnstorableText(e);
  if (unstorable !== null)
    return refuse('invalid', `${fieldName(unstorable.split('.')[0] ?? '')} holds a NUL or a lone surrogate`);
  // The cache counts are part of inputTokens.
  if (e.cacheCreationInputTokens + e.cacheReadInputTokens > e.inputTokens)
    return refuse('invalid', 'cache tokens exceed inputTokens');
  const t = Date.parse(e.time);
  if (t < now - window.maxAgeMs) return refuse('out_of_window', 'time is too old');
  if (t > now + window.maxFutureMs) return refuse('out_of_window', 'time is in the future');
  return { ok: true, event: e };
}

/** One stream entry → a usage event, or why it is refused (signature aside: see usage-signature.ts). */
export function parseUsageEntry(
  fields: readonly string[] | null,
  now: number,
  window: TimeWindow,
): ParsedEntry {
  const read = readEntryJson(fields);
  if (!read.ok) return read;
  return validateUsageJson(read.json, now, window);
}

/** A name from the event (a path or a key of a garbage object) shown as is only if it looks like one. */
function fieldName(path: string): string {
  return /^[A-Za-z0-9_.()]{1,64}$/.test(path) ? path : '(a field)';
}
