import { randomUUID } from 'node:crypto';
import type { Limits } from '@portcullis/shared/api-keys';
import type { SnapshotKey, SnapshotUserPolicy } from '@portcullis/shared/snapshot';
import { describe, expect, it } from 'vitest';
import { limitsOf, snapshotKeyRecord } from '../../test/helpers.js';
import { PeopleIndex } from './people.js';

const key = (ownerId: string, own: Partial<Limits> = {}): SnapshotKey =>
  snapshotKeyRecord({ ownerId, limits: limitsOf(own) });

const user = (l: Partial<Limits>, groupIds: string[] = []): SnapshotUserPolicy => ({
  id: randomUUID(),
  name: 'Ada',
  role: 'member',
  grants: [],
  limits: limitsOf(l),
  budgets: [],
  groupIds,
});

describe('PeopleIndex.policyOf: rate-limit scopes', () => {
  it("lists the key's, the owner's and each group's limits as their own scopes, only those that limit something", () => {
    const people = new PeopleIndex();
    const research = randomUUID();
    const quiet = randomUUID();
    const ada = user({ requestsPerMinute: 10 }, [research, quiet]);
    people.reset({
      settings: { modelAccessWithoutGrants: 'all' },
      users: [ada],
      groups: [
        {
          id: research,
          name: 'Research',
          grants: [],
          limits: limitsOf({ concurrentRequests: 2 }),
          budgets: [],
        },
        { id: quiet, name: 'Quiet', grants: [], limits: limitsOf(), budgets: [] },
      ],
    });
    const k = key(ada.id, { tokensPerMinute: 500 });
    expect(people.policyOf(k).rateLimits).toEqual([
      { scope: `key:${k.id}`, label: 'this key', limits: limitsOf({ tokensPerMinute: 500 }) },
      { scope: `user:${ada.id}`, label: "the key's owner", limits: limitsOf({ requestsPerMinute: 10 }) },
      {
        scope: `group:${research}`,
        label: 'the group "Research"',
        limits: limitsOf({ concurrentRequests: 2 }),
      },
    ]);
    // Another key of the same owner shares the user's and the group's scopes, not the key's.
    const other = people.policyOf(key(ada.id)).rateLimits.map((s) => s.scope);
    expect(other).toEqual([`user:${ada.id}`, `group:${research}`]);
  });

  it('follows changes: a user limit set or dropped, a group left', () => {
    const people = new PeopleIndex();
    const g = randomUUID();
    const ada = user({}, [g]);
    people.reset({
      settings: { modelAccessWithoutGrants: 'all' },
      users: [ada],
      groups: [{ id: g, name: 'G', grants: [], limits: limitsOf({ requestsPerMinute: 5 }), budgets: [] }],
    });
    const k = key(ada.id);
    expect(people.policyOf(k).rateLimits.map((s) => s.scope)).toEqual([`group:${g}`]);
    people.upsertUser({ ...ada, limits: limitsOf({ outputTokensPerMinute: 7 }), groupIds: [] });
    expect(people.policyOf(k).rateLimits).toEqual([
      { scope: `user:${ada.id}`, label: "the key's owner", limits: limitsOf({ outputTokensPerMinute: 7 }) },
    ]);
    people.upsertUser({ ...ada, limits: limitsOf(), groupIds: [] });
    expect(people.policyOf(k).rateLimits).toEqual([]);
  });

  it("without people in the snapshot, or for an owner it does not list, only the key's own", () => {
    const older = new PeopleIndex();
    const k = key(randomUUID(), { requestsPerMinute: 3 });
    expect(older.policyOf(k).rateLimits.map((s) => s.scope)).toEqual([`key:${k.id}`]);
    const present = new PeopleIndex();
    present.reset({ settings: { modelAccessWithoutGrants: 'all' }, users: [], groups: [] });
    expect(present.policyOf(k).rateLimits.map((s) => s.scope)).toEqual([`key:${k.id}`]);
    expect(present.policyOf(key(randomUUID())).rateLimits).toEqual([]);
  });
});
