import { isAuditAction } from '@portcullis/shared/audit';
import { describe, expect, it } from 'vitest';
import type { AuditRecord } from '../snapshots/change-recorder';
import type { AuditEntry } from './audit.service';

describe('audit actions', () => {
  it('are typed: appending an action that is not in the shared list does not compile', () => {
    const listed: AuditRecord = { action: 'key.rotated', targetType: 'api_key', targetId: null };
    // @ts-expect-error an action the shared list does not hold
    const unlisted: AuditRecord = { action: 'key.archived', targetType: 'api_key', targetId: null };
    // @ts-expect-error the same through the audit service's own entry type
    const entry: Pick<AuditEntry, 'action'> = { action: 'key.archived' };
    expect([listed, unlisted, entry].map((r) => isAuditAction(r.action))).toEqual([true, false, false]);
  });
});
