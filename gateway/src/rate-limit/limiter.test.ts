import type { Limits } from '@portcullis/shared/api-keys';
import { NO_LIMITS } from '@portcullis/shared/policy';
import { describe, expect, it } from 'vitest';
import { keyLimits, RateLimiter, type ScopedLimits } from './limiter.js';

// The limiter alone (no Redis: this gateway enforces alone), on a frozen clock 30 s into a minute.
const NOW = Date.UTC(2030, 0, 15, 12, 0, 30);

const limits = (l: Partial<Limits>): Limits => ({ ...NO_LIMITS, ...l });
const scope = (name: string, l: Partial<Limits>): ScopedLimits => ({
  scope: name,
  label: `the ${name}`,
  limits: limits(l),
});
const limiter = () => new RateLimiter({ redis: null, instanceId: 'unit', now: () => NOW });
const NO_TOKENS = { inputTokens: 0, outputTokens: 0 };

describe('RateLimiter.check over scopes', () => {
  it('admits a key that nothing limits without counting or headers', () => {
    const l = limiter();
    const d = l.check([]);
    expect(d).toMatchObject({ ok: true, headers: {} });
    expect(keyLimits({ id: 'k', limits: limits({}) })).toEqual([]);
  });

  it('counts an admitted request on every scope, and a refused one on none', () => {
    const l = limiter();
    const user = scope('user:1', { requestsPerMinute: 3 });
    const keyA = [scope('key:a', { requestsPerMinute: 1 }), user];
    // Another key of the user, with no limits of its own.
    const keyB = [user];
    expect(l.check(keyA).ok).toBe(true);
    // Refused by key:a's own limit, three times: user:1 must not count them.
    for (let i = 0; i < 3; i++) {
      const d = l.check(keyA);
      expect(d.ok).toBe(false);
      if (!d.ok) expect([d.limit, d.scope, d.label]).toEqual(['requests', 'key:a', 'the key:a']);
    }
    expect(l.check(keyB).ok).toBe(true);
    expect(l.check(keyB).ok).toBe(true);
    const d = l.check(keyB);
    expect(d.ok).toBe(false);
    if (!d.ok) expect([d.limit, d.scope]).toEqual(['requests', 'user:1']);
  });

  it('reports, per limit, the scope with the least left', () => {
    const l = limiter();
    const user = scope('user:1', { requestsPerMinute: 4, outputTokensPerMinute: 1000 });
    const group = scope('group:1', { requestsPerMinute: 100, outputTokensPerMinute: 50 });
    const other = [user, group];
    const mine = [scope('key:a', { requestsPerMinute: 10, tokensPerMinute: 500 }), user, group];
    const first = l.check(other);
    if (!first.ok) throw new Error('refused');
    first.lease.finish({ inputTokens: 5, outputTokens: 20 });
    const d = l.check(mine);
    expect(d.ok).toBe(true);
    expect(d.headers).toEqual({
      // key:a would leave 9, user:1 leaves 4 − 1 − 1.
      'x-ratelimit-limit-requests': '4',
      'x-ratelimit-remaining-requests': '2',
      // Only the key limits total tokens, and nothing has gone through it yet.
      'x-ratelimit-limit-tokens': '500',
      'x-ratelimit-remaining-tokens': '500',
      // user:1 leaves 980, group:1 leaves 30.
      'x-ratelimit-limit-output-tokens': '50',
      'x-ratelimit-remaining-output-tokens': '30',
    });
  });

  it('refuses with the first scope that refuses, and every limit kind', () => {
    const l = limiter();
    const key = scope('key:a', { concurrentRequests: 1 });
    const user = scope('user:1', { inputTokensPerMinute: 10 });
    const held = l.check([key, user]);
    if (!held.ok) throw new Error('refused');
    const both = l.check([key, user]);
    expect(both.ok).toBe(false);
    if (!both.ok)
      expect([both.limit, both.scope, both.retryAfterSeconds]).toEqual(['concurrency', 'key:a', 1]);
    held.lease.finish({ inputTokens: 10, outputTokens: 0 });
    const tokens = l.check([key, user]);
    expect(tokens.ok).toBe(false);
    if (!tokens.ok) {
      expect([tokens.limit, tokens.scope]).toEqual(['input_tokens', 'user:1']);
      // 30 s into the minute, nothing in the previous one: free again at the next minute.
      expect(tokens.headers['retry-after']).toBe('30');
      expect(tokens.headers['x-ratelimit-remaining-input-tokens']).toBe('0');
    }
  });

  it('counts tokens on every scope when the request finishes, once', () => {
    const l = limiter();
    const user = scope('user:1', { tokensPerMinute: 30 });
    const group = scope('group:1', { outputTokensPerMinute: 8 });
    const d = l.check([user, group]);
    if (!d.ok) throw new Error('refused');
    d.lease.finish({ inputTokens: 10, outputTokens: 8 });
    d.lease.finish({ inputTokens: 10, outputTokens: 8 });
    // user:1 has 12 left (counted once); group:1's output is full.
    const other = l.check([user]);
    expect(other.ok && other.headers['x-ratelimit-remaining-tokens']).toBe('12');
    const refused = l.check([group]);
    expect(refused.ok).toBe(false);
  });

  it("a lease frees the slots of the scopes it was admitted with, even after the key's policy changed", () => {
    const l = limiter();
    const user = scope('user:1', { concurrentRequests: 1 });
    const d = l.check([user]);
    if (!d.ok) throw new Error('refused');
    // The user's limit is raised meanwhile: a new list with the same scope.
    const raised = [scope('user:1', { concurrentRequests: 2 })];
    const second = l.check(raised);
    expect(second.ok).toBe(true);
    expect(l.check(raised).ok).toBe(false);
    d.lease.finish(NO_TOKENS);
    d.lease.finish(NO_TOKENS);
    expect(l.check(raised).ok).toBe(true);
    expect(l.check(raised).ok).toBe(false);
  });
});
