import type { z } from 'zod';
import type { FieldIssue } from './errors';

/** Flattens zod issues into `{ field, message }`, naming each unknown key as its own field. */
export function issuesToFields(error: z.ZodError, root?: string): FieldIssue[] {
  const out: FieldIssue[] = [];
  const join = (path: readonly PropertyKey[]) =>
    [root, ...path.map(String)].filter((p): p is string => p !== undefined && p !== '').join('.') || '(body)';
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys)
        out.push({ field: join([...issue.path, key]), message: 'is not a known field' });
    } else {
      out.push({ field: join(issue.path), message: issue.message });
    }
  }
  return out;
}

/** The message of a 400 for bad input: the first few fields, as the control plane words it. */
export const invalidInputMessage = (where: 'body' | 'query', details: readonly FieldIssue[]): string =>
  `Invalid ${where}: ${details
    .slice(0, 3)
    .map((d) => `${d.field} ${d.message}`)
    .join('; ')}`;

/**
 * Finds the first string (value or object key) that Postgres and JSON cannot store faithfully: one
 * holding a NUL character or an unpaired UTF-16 surrogate. Returns its dotted path, or null.
 */
export function findUnstorableText(value: unknown, path: string[] = []): string | null {
  const bad = (s: string) =>
    s.includes('\u0000') || !(s as string & { isWellFormed(): boolean }).isWellFormed();
  if (typeof value === 'string') return bad(value) ? path.join('.') || '(body)' : null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findUnstorableText(value[i], [...path, String(i)]);
      if (found !== null) return found;
    }
    return null;
  }
  if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (bad(k)) return [...path, k].join('.');
      const found = findUnstorableText(v, [...path, k]);
      if (found !== null) return found;
    }
  }
  return null;
}
