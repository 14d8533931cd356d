/** True when a query failed on a unique constraint (optionally: this one). */
export function isUniqueViolation(err: unknown, constraint?: string): boolean {
  const e = err as {
    driverError?: { code?: string; constraint?: string };
    code?: string;
    constraint?: string;
  };
  const d = e?.driverError ?? e;
  return d?.code === '23505' && (constraint === undefined || d.constraint === constraint);
}
