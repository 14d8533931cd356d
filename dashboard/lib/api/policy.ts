import type { Limits } from '@portcullis/shared/api-keys';
import type { PolicyBudget, PolicyLimits } from '@portcullis/shared/policy';
import { z } from 'zod';
import { apiFetch } from './client';
import { objectSchema, orgApi } from './org';

/** Whose grants and limits: a member of the organization or one of its groups. */
export interface PolicySubject {
  type: 'user' | 'group';
  id: string;
}

const subjectPath = (subject: PolicySubject): string =>
  `/${subject.type === 'user' ? 'users' : 'groups'}/${encodeURIComponent(subject.id)}`;

export interface GrantView {
  model: string;
  createdAt: string;
}

export const addGrant = (orgId: string, subject: PolicySubject, model: string) =>
  apiFetch(orgApi(orgId, `${subjectPath(subject)}/grants`), {
    method: 'POST',
    body: { model },
    schema: objectSchema<GrantView>(),
  });

export const revokeGrant = (orgId: string, subject: PolicySubject, model: string) =>
  apiFetch(orgApi(orgId, `${subjectPath(subject)}/grants/${encodeURIComponent(model)}`), {
    method: 'DELETE',
    schema: z.undefined(),
  });

export interface PutLimitsBody extends Limits {
  budgets: PolicyBudget[];
}

/** Replaces the subject's whole policy: rate limits and budgets together (send what should stay). */
export const putLimits = (orgId: string, subject: PolicySubject, body: PutLimitsBody) =>
  apiFetch(orgApi(orgId, `${subjectPath(subject)}/limits`), {
    method: 'PUT',
    body,
    schema: objectSchema<PolicyLimits>(),
  });
