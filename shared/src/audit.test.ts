import { describe, expect, it } from 'vitest';
import { AUDIT_ACTION_GROUPS, AUDIT_ACTIONS, isAuditAction } from './audit';

describe('audit actions', () => {
  it('are listed once, every one in exactly one group', () => {
    expect(new Set(AUDIT_ACTIONS).size).toBe(AUDIT_ACTIONS.length);
    expect(AUDIT_ACTION_GROUPS.flatMap((g) => g.actions)).toEqual([...AUDIT_ACTIONS]);
    expect(AUDIT_ACTIONS.every((a) => /^[a-z_]+\.[a-z_]+$/.test(a))).toBe(true);
  });

  it('tell a recorded action from any other string', () => {
    expect(isAuditAction('key.rotated')).toBe(true);
    expect(isAuditAction('key.archived')).toBe(false);
    expect(isAuditAction('')).toBe(false);
  });
});
