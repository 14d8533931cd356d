import type { PutLimitsSchema } from '@portcullis/shared/policy';
import type { z } from 'zod';
import { api } from './client';

/** Whose grants and limits: a member of the organization or one of its groups. */
export interface PolicySubject {
  type: 'user' | 'group';
  id: string;
}

export type PutLimitsBody = z.input<typeof PutLimitsSchema>;

/** The grant and limits operations of the subject's kind. */
export const addGrant = (orgId: string, subject: PolicySubject, model: string) =>
  (subject.type === 'user' ? api.addUserGrant : api.addGroupGrant)({
    org: orgId,
    id: subject.id,
    body: { model },
  });

export const revokeGrant = (orgId: string, subject: PolicySubject, model: string) =>
  (subject.type === 'user' ? api.removeUserGrant : api.removeGroupGrant)({
    org: orgId,
    id: subject.id,
    model,
  });

/** Replaces the subject's whole policy: rate limits and budgets together (send what should stay). */
export const putLimits = (orgId: string, subject: PolicySubject, body: PutLimitsBody) =>
  (subject.type === 'user' ? api.putUserLimits : api.putGroupLimits)({ org: orgId, id: subject.id, body });
