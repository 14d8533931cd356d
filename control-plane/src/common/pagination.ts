import { DomainError } from './errors/domain-error';

export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

/** Opaque keyset cursors: base64url JSON, checked for shape when read back. */
export function encodeCursor(value: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

export function decodeCursor<T>(cursor: string, check: (v: unknown) => v is T): T {
  let parsed: unknown;
  try {
    if (!/^[A-Za-z0-9_-]+$/.test(cursor)) throw new Error('not base64url');
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw DomainError.invalidField('cursor', 'is not a valid cursor');
  }
  if (!check(parsed)) throw DomainError.invalidField('cursor', 'is not a valid cursor');
  return parsed;
}
