import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisExchange } from './exchange.js';

// The machine's Redis, under a prefix of this run's own.
const prefix = `test:exchange:${randomUUID()}:`;
let redis: Redis;

const connect = async () => {
  const r = new Redis({ host: '127.0.0.1', port: 6379, maxRetriesPerRequest: 1, enableOfflineQueue: false });
  await new Promise((ok) => r.once('ready', ok));
  return r;
};

beforeAll(async () => {
  redis = await connect();
});

afterAll(async () => {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

describe('RedisExchange', () => {
  it('hands every reply to the handler of its own command, whatever kinds are mixed', async () => {
    await redis.set(`${prefix}a`, '5');
    const seen: Record<string, unknown> = {};
    const x = new RedisExchange(redis)
      .incrby(`${prefix}a`, 2, { reply: (v) => (seen.incr = v) })
      .pexpire(`${prefix}a`, 60_000)
      .get(`${prefix}missing`, { reply: (v) => (seen.missing = v) })
      .hset(`${prefix}h`, 'gw1', '10')
      .hgetall(`${prefix}h`, { reply: (v) => (seen.hash = v) })
      .get(`${prefix}a`, { reply: (v) => (seen.a = v) });
    expect(x.size).toBe(6);
    await x.run();
    expect(seen).toEqual({ incr: 7, missing: null, hash: { gw1: '10' }, a: '7' });
  });

  it('reports a command Redis refuses alone to its own handler, and the others still get their replies', async () => {
    await redis.set(`${prefix}text`, 'not a number');
    const events: string[] = [];
    await new RedisExchange(redis)
      .incrby(`${prefix}b`, 3, {
        reply: (v) => events.push(`b=${v}`),
        failed: (how) => events.push(`b ${how}`),
      })
      .incrby(`${prefix}text`, 1, {
        reply: () => events.push('text replied'),
        failed: (how) => events.push(`text ${how}`),
      })
      .get(`${prefix}b`, { reply: (v) => events.push(`get ${v}`) })
      .run();
    expect(events).toEqual(['b=3', 'text command', 'get 3']);
  });

  it('tells every command that it failed when the connection is gone mid-exchange', async () => {
    const own = await connect();
    const failed: string[] = [];
    const x = new RedisExchange(own)
      .get(`${prefix}c`, { reply: () => failed.push('replied'), failed: (how) => failed.push(`get ${how}`) })
      .incrby(`${prefix}c`, 1, { failed: (how) => failed.push(`incrby ${how}`) });
    own.disconnect();
    await x.run();
    expect(failed).toEqual(['get command', 'incrby command']);
    expect(await redis.get(`${prefix}c`)).toBeNull();
  });

  it('refuses to start on a client that is not connected', async () => {
    const own = await connect();
    const ended = new Promise((ok) => own.once('end', ok));
    own.disconnect();
    await ended;
    expect(() => new RedisExchange(own)).toThrow('redis not ready');
  });

  it('sends nothing when nothing was queued', async () => {
    const x = new RedisExchange(redis);
    expect(x.size).toBe(0);
    await expect(x.run()).resolves.toBeUndefined();
  });
});
