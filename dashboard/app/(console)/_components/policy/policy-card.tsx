import type { Limits } from '@portcullis/shared/api-keys';
import type { BudgetView } from '@portcullis/shared/policy';
import type { ReactNode } from 'react';
import { SectionCard } from '@/components/ui/section-card';
import type { PolicySubject } from '@/lib/api/policy';

/** What the rate-limit and budget cards and modals work on: the PUT replaces limits and budgets together. */
export interface PolicyLimitsProps {
  orgId: string;
  subject: PolicySubject;
  subjectName: string;
  limits: Limits;
  budgets: readonly BudgetView[];
}

/** The editors of a subject's rate limits and budgets: opened and closed by their card. */
export type PolicyModalProps = PolicyLimitsProps & { open: boolean; onClose: () => void };

/** A user's or group's policy card: its title, and for admins the one button that opens its editor. */
export function PolicyCard({
  id,
  title,
  canEdit,
  editLabel,
  editHint,
  onEdit,
  children,
}: {
  id: string;
  title: string;
  canEdit: boolean;
  editLabel: string;
  /** Screen-reader words after the label, when the label alone does not say what it edits. */
  editHint?: string;
  onEdit: () => void;
  children: ReactNode;
}) {
  return (
    <SectionCard
      id={id}
      title={title}
      actions={
        canEdit && (
          <button type="button" className="button button-small" onClick={onEdit}>
            {editLabel}
            {editHint && <span className="visually-hidden"> {editHint}</span>}
          </button>
        )
      }
    >
      {children}
    </SectionCard>
  );
}
