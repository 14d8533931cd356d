import type { Limits } from '@portcullis/shared/api-keys';
import {
  DEFAULT_ORG_SETTINGS,
  type EffectivePolicy,
  effectivePolicy,
  NO_LIMITS,
  type PolicyOwnerInput,
  type PolicySubjectInput,
  type RuleRef,
} from '@portcullis/shared/policy';
import type {
  SnapshotGroup,
  SnapshotKey,
  SnapshotPeople,
  SnapshotUserPolicy,
} from '@portcullis/shared/snapshot';
import type { BudgetPeriod } from '@portcullis/shared/usage';

/**
 * A budget cap as the ledger counts it: one fleet counter per scope and period
 * (`portcullis:budget:<org>:{<scope>}:<periodId>`).
 */
export interface ScopedBudget {
  /** `key:<uuid>`, `user:<uuid>` or `group:<uuid>`. */
  scope: string;
  /** Who set it, for messages: `this key`, `the key's owner`, `the group "Research"`. */
  label: string;
  limitUsd: number;
  period: BudgetPeriod;
  /** The control plane's settled-spend floor of this scope and period (see snapshot.ts). */
  spentUsd?: number | undefined;
  spentPeriod?: string | undefined;
}

/**
 * One scope's rate limits as the limiter counts them: one set of fleet counters per scope
 * (`portcullis:rl:<org>:{<scope>}:…`), shared by every key the scope covers.
 */
export interface ScopedLimits {
  /** `key:<uuid>`, `user:<uuid>` or `group:<uuid>`. */
  readonly scope: string;
  /** Who set them, for messages: `this key`, `the key's owner`, `the group "Research"`. */
  readonly label: string;
  /** At least one of them is set. */
  readonly limits: Limits;
}

/** What the hot path reads for a key: computed once per change of the key, its owner, their groups or the settings. */
export interface KeyPolicy {
  effective: EffectivePolicy;
  /**
   * Every scope with a rate limit for this key, each counted on its own: the key's own limits, its
   * owner's (all of the owner's keys together) and each of the owner's groups' (all members' keys
   * together). Empty when nothing limits the key.
   */
  rateLimits: readonly ScopedLimits[];
  /** Null = every model. */
  models: ReadonlySet<string> | null;
  budgets: readonly ScopedBudget[];
}

/**
 * The people section of the snapshot, indexed: members and groups by id, each group's members, and a
 * stamp per member that moves whenever anything their keys' policy depends on changes (their own
 * policy, one of their groups, the settings, a full snapshot). Stamps come from one counter, so the
 * larger of a member's and the global stamp changes whenever either does.
 */
export class PeopleIndex {
  /** False until a snapshot carries people: keys then enforce their own policy alone. */
  present = false;
  settings: SnapshotPeople['settings'] = DEFAULT_ORG_SETTINGS;
  readonly users = new Map<string, SnapshotUserPolicy>();
  readonly groups = new Map<string, SnapshotGroup>();
  readonly #members = new Map<string, Set<string>>();
  readonly #userStamp = new Map<string, number>();
  #globalStamp = 0;
  #next = 1;

  stamp(userId: string): number {
    return Math.max(this.#globalStamp, this.#userStamp.get(userId) ?? 0);
  }

  reset(people: SnapshotPeople | undefined): void {
    this.users.clear();
    this.groups.clear();
    this.#members.clear();
    this.#userStamp.clear();
    this.present = people !== undefined;
    this.settings = people?.settings ?? DEFAULT_ORG_SETTINGS;
    for (const g of people?.groups ?? []) this.groups.set(g.id, g);
    for (const u of people?.users ?? []) this.#setUser(u);
    this.#globalStamp = this.#next++;
  }

  upsertUser(user: SnapshotUserPolicy): void {
    this.present = true;
    this.#dropUser(user.id);
    this.#setUser(user);
    this.#userStamp.set(user.id, this.#next++);
  }

  deleteUser(id: string): void {
    this.#dropUser(id);
    this.#userStamp.set(id, this.#next++);
  }

  upsertGroup(group: SnapshotGroup): void {
    this.present = true;
    this.groups.set(group.id, group);
    this.#touchMembers(group.id);
  }

  deleteGroup(id: string): void {
    this.groups.delete(id);
    this.#touchMembers(id);
  }

  setSettings(settings: SnapshotPeople['settings']): void {
    this.present = true;
    this.settings = settings;
    this.#globalStamp = this.#next++;
  }

  toSnapshot(): SnapshotPeople | undefined {
    if (!this.present) return undefined;
    return { settings: this.settings, users: [...this.users.values()], groups: [...this.groups.values()] };
  }

  /** The policy of a key from the current index (called on a stamp change, not per request). */
  policyOf(key: SnapshotKey): KeyPolicy {
    const user = this.users.get(key.ownerId);
    let owner: PolicyOwnerInput | null = null;
    const groups: PolicySubjectInput[] = [];
    if (this.present) {
      // An owner the snapshot does not list is no member here (any more): fail closed, as a member
      // holding nothing.
      owner = user
        ? {
            id: user.id,
            name: user.name,
            role: user.role,
            grants: user.grants,
            limits: user.limits,
            budgets: user.budgets,
          }
        : { id: key.ownerId, name: '', role: 'member', grants: [], limits: NO_LIMITS, budgets: [] };
      for (const gid of user?.groupIds ?? []) {
        const g = this.groups.get(gid);
        if (g) groups.push(g);
      }
    }
    const effective = effectivePolicy(
      {
        id: key.id,
        name: key.name,
        limits: key.limits,
        budget: key.budget,
        allowedModels: key.allowedModels,
      },
      owner,
      groups,
      this.settings,
    );
    // The same rules effectivePolicy folds, kept apart: each scope's limits hold on that scope's counters.
    const rateLimits: ScopedLimits[] = [];
    const addLimits = (type: RuleRef['type'], id: string, name: string, limits: Limits) => {
      const scope = `${type}:${id}`;
      if (hasRateLimit(limits) && !rateLimits.some((r) => r.scope === scope))
        rateLimits.push({ scope, label: scopeLabel(type, name), limits });
    };
    addLimits('key', key.id, key.name, key.limits);
    if (owner) {
      addLimits('user', owner.id, owner.name, owner.limits);
      for (const g of groups) addLimits('group', g.id, g.name, g.limits);
    }
    const budgets = effective.budgets.map((b): ScopedBudget => {
      // The snapshot's settled-spend floor of this scope and period (key, user and group budgets alike).
      const floor =
        b.scope.type === 'key'
          ? key.budget
          : b.scope.type === 'user'
            ? user?.budgets.find((u) => u.period === b.period)
            : this.groups.get(b.scope.id)?.budgets.find((g) => g.period === b.period);
      return {
        scope: `${b.scope.type}:${b.scope.id}`,
        label: scopeLabel(b.scope.type, b.scope.name),
        limitUsd: b.limitUsd,
        period: b.period as BudgetPeriod,
        spentUsd: floor?.spentUsd,
        spentPeriod: floor?.spentPeriod,
      };
    });
    return {
      effective,
      rateLimits,
      models: effective.models.all ? null : new Set(effective.models.allowed),
      budgets,
    };
  }

  #setUser(user: SnapshotUserPolicy): void {
    this.users.set(user.id, user);
    for (const gid of user.groupIds) {
      let set = this.#members.get(gid);
      if (!set) {
        set = new Set();
        this.#members.set(gid, set);
      }
      set.add(user.id);
    }
  }

  #dropUser(id: string): void {
    const old = this.users.get(id);
    if (!old) return;
    for (const gid of old.groupIds) this.#members.get(gid)?.delete(id);
    this.users.delete(id);
  }

  #touchMembers(groupId: string): void {
    const stamp = this.#next++;
    for (const uid of this.#members.get(groupId) ?? []) this.#userStamp.set(uid, stamp);
  }
}

/** True when at least one rate limit is set. */
export function hasRateLimit(l: Limits): boolean {
  return (
    l.requestsPerMinute !== null ||
    l.tokensPerMinute !== null ||
    l.inputTokensPerMinute !== null ||
    l.outputTokensPerMinute !== null ||
    l.concurrentRequests !== null
  );
}

/** Who a scope is, as refusals name it. */
function scopeLabel(type: RuleRef['type'], name: string): string {
  return type === 'key'
    ? 'this key'
    : type === 'user'
      ? "the key's owner"
      : `the group ${JSON.stringify(name)}`;
}
