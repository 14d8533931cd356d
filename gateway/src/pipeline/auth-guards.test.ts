import { describe, expect, it } from 'vitest';
import {
  addressBucket,
  KeyIdThrottle,
  MinuteCounter,
  OVERFLOW,
  SecondBudget,
  VerifyGate,
} from './auth-guards.js';

describe('addressBucket', () => {
  it('keeps IPv4 addresses apart and folds an IPv6 address to its /64', () => {
    expect(addressBucket('192.0.2.7')).toBe('192.0.2.7');
    expect(addressBucket('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(addressBucket('2001:db8:1:2:ffff:ffff:ffff:ffff')).toBe('2001:db8:1:2::/64');
    expect(addressBucket('2001:db8:1:3::1')).toBe('2001:db8:1:3::/64');
    expect(addressBucket('::ffff:192.0.2.7')).toBe('192.0.2.7');
    expect(addressBucket('invalid')).toBe('invalid');
  });
});

describe('MinuteCounter', () => {
  it('never resets a count because the table filled up: new names share the overflow count', () => {
    const t = 60_000 * 1000 + 1_000;
    const c = new MinuteCounter(3);
    c.add('attacker', 20, t);
    for (let i = 0; i < 100; i++) c.add(`10.0.0.${i}`, 1, t);
    expect(c.get('attacker', t)).toBe(20);
    expect(c.get('10.0.0.0', t)).toBe(1);
    expect(c.get('10.0.0.99', t)).toBe(98);
    expect(c.get(OVERFLOW, t)).toBe(98);
    // A new minute starts every count again.
    expect(c.get('attacker', t + 60_000)).toBe(0);
  });

  it('takes back an attempt without going below zero', () => {
    const c = new MinuteCounter(10);
    c.add('a', 1, 0);
    c.add('a', -1, 0);
    c.add('a', -1, 0);
    expect(c.get('a', 0)).toBe(0);
  });
});

describe('KeyIdThrottle', () => {
  it('admits the limit, then one attempt per reserve interval', () => {
    const t = 60_000 * 1000;
    const k = new KeyIdThrottle(3, 10_000, 100);
    expect([k.admit('id', t), k.admit('id', t), k.admit('id', t)]).toEqual([0, 0, 0]);
    expect(k.admit('id', t + 1_000)).toBe(9);
    expect(k.admit('id', t + 10_000)).toBe(0);
    expect(k.admit('id', t + 10_001)).toBe(10);
    expect(k.admit('other', t)).toBe(0);
  });
});

describe('VerifyGate', () => {
  it('runs at most `concurrency` tasks, queues `queue` more and refuses the rest', async () => {
    const gate = new VerifyGate(2, 1);
    let release!: () => void;
    const held = new Promise<void>((r) => {
      release = r;
    });
    let running = 0;
    let most = 0;
    const task = async () => {
      running++;
      most = Math.max(most, running);
      await held;
      running--;
      return true;
    };
    const runs = [gate.run(task), gate.run(task), gate.run(task)];
    expect(gate.run(task)).toBeNull();
    expect(gate.full).toBe(true);
    release();
    expect(await Promise.all(runs)).toEqual([true, true, true]);
    expect(most).toBe(2);
    expect([gate.active, gate.waiting]).toEqual([0, 0]);
  });

  it('frees the slot when a task fails', async () => {
    const gate = new VerifyGate(1, 0);
    await expect(gate.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(gate.active).toBe(0);
    expect(await gate.run(async () => 1)).toBe(1);
  });
});

describe('SecondBudget', () => {
  it('allows `limit` attempts a second, gives back proven ones within their second only', () => {
    const b = new SecondBudget(2);
    const s1 = b.take(1_000);
    expect(s1).toBe(1);
    expect(b.take(1_100)).toBe(1);
    expect(b.take(1_200)).toBeNull();
    b.giveBack(s1 as number, 1_300);
    expect(b.take(1_400)).toBe(1);
    expect(b.take(2_000)).toBe(2);
    b.giveBack(1, 2_001);
    expect(b.take(2_002)).toBe(2);
    expect(b.take(2_003)).toBeNull();
  });
});
