import type { BudgetView, LimitsView } from '@portcullis/shared/policy';
import type { ReactNode } from 'react';
import type { PolicySubject } from '@/lib/api/policy';
import { BudgetCard } from './budget-card';
import { GrantsCard } from './grants-card';
import { pickLimits } from './limit-fields';
import { RateLimitCard } from './rate-limit-card';

/** A user's or group's own policy: rate limits, budgets and model grants, each editable by admins. */
export function PolicyCards({
  orgId,
  subject,
  subjectName,
  limits,
  budgets,
  grants,
  canEdit,
  grantsNote,
}: {
  orgId: string;
  subject: PolicySubject;
  subjectName: string;
  limits: LimitsView;
  budgets: readonly BudgetView[];
  grants: readonly string[];
  canEdit: boolean;
  grantsNote?: ReactNode;
}) {
  const policy = { orgId, subject, subjectName, limits: pickLimits(limits), budgets };
  return (
    <>
      <RateLimitCard {...policy} canEdit={canEdit} />
      <BudgetCard {...policy} canEdit={canEdit} />
      <GrantsCard
        orgId={orgId}
        subject={subject}
        subjectName={subjectName}
        grants={grants}
        canEdit={canEdit}
        note={grantsNote}
      />
    </>
  );
}
