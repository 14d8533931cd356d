import { describe, expect, it } from 'vitest';
import {
  effectivePolicy,
  modelAllowed,
  NO_LIMITS,
  type PolicyKeyInput,
  type PolicyOwnerInput,
  type PolicySubjectInput,
  PutLimitsSchema,
} from './policy';

const key = (over: Partial<PolicyKeyInput> = {}): PolicyKeyInput => ({
  id: 'k1',
  name: 'Production',
  limits: NO_LIMITS,
  budget: null,
  allowedModels: [],
  ...over,
});
const member = (over: Partial<PolicyOwnerInput> = {}): PolicyOwnerInput => ({
  id: 'u1',
  name: 'Ada',
  role: 'member',
  grants: [],
  limits: NO_LIMITS,
  budgets: [],
  ...over,
});
const group = (id: string, over: Partial<PolicySubjectInput> = {}): PolicySubjectInput => ({
  id,
  name: `Group ${id}`,
  grants: [],
  limits: NO_LIMITS,
  budgets: [],
  ...over,
});
const NONE = { modelAccessWithoutGrants: 'none' } as const;
const ALL = { modelAccessWithoutGrants: 'all' } as const;

describe('effectivePolicy: limits', () => {
  it('takes the smallest non-null value per field, with the rule that set it', () => {
    const p = effectivePolicy(
      key({ limits: { ...NO_LIMITS, requestsPerMinute: 100, concurrentRequests: 2 } }),
      member({ limits: { ...NO_LIMITS, requestsPerMinute: 10, tokensPerMinute: 5000 } }),
      [
        group('a', { limits: { ...NO_LIMITS, requestsPerMinute: 5, tokensPerMinute: 9000 } }),
        group('b', { limits: { ...NO_LIMITS, requestsPerMinute: 3, outputTokensPerMinute: 700 } }),
      ],
      NONE,
    );
    expect(p.limits.requestsPerMinute).toEqual({
      value: 3,
      source: { type: 'group', id: 'b', name: 'Group b' },
    });
    expect(p.limits.tokensPerMinute).toEqual({
      value: 5000,
      source: { type: 'user', id: 'u1', name: 'Ada' },
    });
    expect(p.limits.outputTokensPerMinute.value).toBe(700);
    expect(p.limits.concurrentRequests).toEqual({
      value: 2,
      source: { type: 'key', id: 'k1', name: 'Production' },
    });
    expect(p.limits.inputTokensPerMinute).toEqual({ value: null, source: null });
  });

  it('gives a tie to the key, then the owner, then the groups in order', () => {
    const p = effectivePolicy(
      key({ limits: { ...NO_LIMITS, requestsPerMinute: 5 } }),
      member({ limits: { ...NO_LIMITS, requestsPerMinute: 5 } }),
      [group('a', { limits: { ...NO_LIMITS, requestsPerMinute: 5 } })],
      NONE,
    );
    expect(p.limits.requestsPerMinute.source?.type).toBe('key');
  });

  it('without an owner applies the key alone, and all models', () => {
    const p = effectivePolicy(
      key({ limits: { ...NO_LIMITS, requestsPerMinute: 7 } }),
      null,
      [group('a')],
      NONE,
    );
    expect(p.limits.requestsPerMinute.value).toBe(7);
    expect(p.models).toMatchObject({ all: true, basis: 'unknown_owner' });
  });
});

describe('effectivePolicy: models', () => {
  it('a member without grants gets none by default, all when the organization says so', () => {
    expect(effectivePolicy(key(), member(), [], NONE).models).toEqual({
      all: false,
      allowed: [],
      basis: 'no_grants_none',
      narrowedByKey: false,
    });
    const all = effectivePolicy(key(), member(), [], ALL).models;
    expect(all).toMatchObject({ all: true, basis: 'no_grants_all' });
    expect(modelAllowed(all, 'anything')).toBe(true);
  });

  it("a member gets the union of their own and their groups' grants (grants exist: the setting does not widen)", () => {
    const m = effectivePolicy(
      key(),
      member({ grants: ['gpt-4o'] }),
      [group('a', { grants: ['claude', 'gpt-4o'] }), group('b', { grants: ['mini'] })],
      ALL,
    ).models;
    expect(m).toEqual({
      all: false,
      allowed: ['claude', 'gpt-4o', 'mini'],
      basis: 'grants',
      narrowedByKey: false,
    });
    expect(modelAllowed(m, 'other')).toBe(false);
  });

  it('an admin gets every model regardless of grants', () => {
    expect(effectivePolicy(key(), member({ role: 'admin' }), [], NONE).models).toMatchObject({
      all: true,
      basis: 'admin',
    });
  });

  it("the key's allowedModels narrows, never widens", () => {
    const granted = effectivePolicy(
      key({ allowedModels: ['gpt-4o', 'not-granted'] }),
      member({ grants: ['gpt-4o', 'claude'] }),
      [],
      NONE,
    ).models;
    expect(granted).toEqual({ all: false, allowed: ['gpt-4o'], basis: 'grants', narrowedByKey: true });
    const admin = effectivePolicy(
      key({ allowedModels: ['b', 'a'] }),
      member({ role: 'admin' }),
      [],
      NONE,
    ).models;
    expect(admin).toEqual({ all: false, allowed: ['a', 'b'], basis: 'admin', narrowedByKey: true });
    const nothing = effectivePolicy(key({ allowedModels: ['a'] }), member(), [], NONE).models;
    expect(nothing.allowed).toEqual([]);
  });
});

describe('effectivePolicy: budgets', () => {
  it("lists the key's, the owner's and each group's budgets as separate caps", () => {
    const p = effectivePolicy(
      key({ budget: { limitUsd: 50, period: 'lifetime', alertThresholds: [] } }),
      member({ budgets: [{ limitUsd: 10, period: 'daily', alertThresholds: [80] }] }),
      [group('a', { budgets: [{ limitUsd: 100, period: 'monthly', alertThresholds: [] }] }), group('b')],
      NONE,
    );
    expect(p.budgets.map((b) => [b.scope.type, b.scope.id, b.limitUsd, b.period])).toEqual([
      ['key', 'k1', 50, 'lifetime'],
      ['user', 'u1', 10, 'daily'],
      ['group', 'a', 100, 'monthly'],
    ]);
  });

  it('a user view (no key) has the owner and group rules only', () => {
    const p = effectivePolicy(null, member({ limits: { ...NO_LIMITS, requestsPerMinute: 4 } }), [], NONE);
    expect(p.limits.requestsPerMinute.source?.type).toBe('user');
    expect(p.budgets).toEqual([]);
  });
});

describe('PutLimitsSchema', () => {
  it('names the bad field, refuses lifetime and a second budget of one period', () => {
    const bad = PutLimitsSchema.safeParse({
      requestsPerMinute: 0,
      budgets: [
        { limitUsd: 1, period: 'daily' },
        { limitUsd: 2, period: 'daily' },
        { limitUsd: 3, period: 'lifetime' },
      ],
    });
    expect(bad.success).toBe(false);
    const paths = bad.error?.issues.map((i) => i.path.join('.'));
    expect(paths).toEqual(expect.arrayContaining(['requestsPerMinute', 'budgets.2.period']));
    const dup = PutLimitsSchema.safeParse({
      budgets: [
        { limitUsd: 1, period: 'daily' },
        { limitUsd: 2, period: 'daily' },
      ],
    });
    expect(dup.error?.issues.map((i) => i.path.join('.'))).toEqual(['budgets.1.period']);
    expect(
      PutLimitsSchema.parse({ requestsPerMinute: null, budgets: [{ limitUsd: 5, period: 'weekly' }] }),
    ).toEqual({
      requestsPerMinute: null,
      budgets: [{ limitUsd: 5, period: 'weekly', alertThresholds: [] }],
    });
  });
});
