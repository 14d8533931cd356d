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
