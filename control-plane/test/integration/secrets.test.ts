import { execFileSync } from 'node:child_process';
import Redis from 'ioredis';
import { describe, expect, inject, it } from 'vitest';
import { api, createKey, logThrough, newOrg, seenBodies } from './client';
import { TEST_REDIS_URL } from './global-setup';

/** Every row of every table, as text. */
function databaseDump(): string {
  return execFileSync('pg_dump', ['--data-only', '--no-owner', inject('databaseUrl')], {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
}

describe('the plaintext secret', () => {
  it('appears in exactly one response, and nowhere in the database or the logs', async () => {
    const { orgId, admin } = await newOrg();
    seenBodies.length = 0;
    const created = await createKey(orgId, admin.token, { name: 'watched key', metadata: { team: 'sec' } });
    const { secret, key } = created;
    const secretPart = secret.slice(key.prefix.length + 1, -6);
    const keysPath = `/api/v1/orgs/${orgId}/keys`;

    // Everything a user could do with the key afterwards.
    await api('GET', keysPath, { token: admin.token });
    await api('GET', `${keysPath}?search=${key.prefix}`, { token: admin.token });
    await api('GET', `${keysPath}/${key.id}`, { token: admin.token });
    await api('PATCH', `${keysPath}/${key.id}`, { token: admin.token, body: { name: 'watched key 2' } });
    await api('POST', `${keysPath}/${key.id}/deactivate`, { token: admin.token });
    await api('POST', `${keysPath}/${key.id}/activate`, { token: admin.token });
    await api('GET', `/api/v1/orgs/${orgId}/audit-events?limit=200`, { token: admin.token });
    const rotated = await api<{ secret: string }>('POST', `${keysPath}/${key.id}/rotate`, {
      token: admin.token,
    });
    const last = await api('GET', `/api/v1/orgs/${orgId}/audit-events?limit=200`, { token: admin.token });

    const withSecret = seenBodies.filter((b) => b.includes(secretPart));
    expect(withSecret).toHaveLength(1);
    const rotatedPart = rotated.body.secret.slice(key.prefix.length + 1, -6);
    expect(seenBodies.filter((b) => b.includes(rotatedPart))).toHaveLength(1);

    const dump = databaseDump();
    expect(dump).toContain(key.id); // the dump is real and holds the key's row
    expect(dump).not.toContain(secretPart);
    expect(dump).not.toContain(rotatedPart);

    // What the control plane printed, through the last request above.
    const logs = await logThrough(last);
    expect(logs).toContain('/orgs/:org/keys/:id/rotate'); // requests are logged...
    expect(logs).not.toContain(secretPart); // ...but never the secret
    expect(logs).not.toContain(rotatedPart);
    expect(logs).not.toContain(admin.token); // nor session tokens
  });
});

/** Every value Redis holds (strings, hashes, lists, sets, sorted sets, streams) and its ACL list, as text. */
async function redisDump(): Promise<string> {
  const redis = new Redis(TEST_REDIS_URL);
  try {
    const parts: string[] = [(await redis.call('ACL', 'LIST')) as string[]].flat();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'COUNT', 500);
      cursor = next;
      for (const k of keys) {
        const type = await redis.type(k);
        const value =
          type === 'string'
            ? await redis.get(k)
            : type === 'hash'
              ? await redis.hgetall(k)
              : type === 'list'
                ? await redis.lrange(k, 0, -1)
                : type === 'set'
                  ? await redis.smembers(k)
                  : type === 'zset'
                    ? await redis.zrange(k, 0, -1)
                    : type === 'stream'
                      ? await redis.xrange(k, '-', '+')
                      : null; // gone meanwhile
        parts.push(k, JSON.stringify(value));
      }
    } while (cursor !== '0');
    return parts.join('\n');
  } finally {
    redis.disconnect();
  }
}

describe("a gateway's credentials", () => {
  it('its token, usage signing secret and Redis password appear only in the answers that hand them out', async () => {
    const { orgId, admin } = await newOrg();
    seenBodies.length = 0;
    const created = await api<{ token: string; gateway: { id: string } }>(
      'POST',
      `/api/v1/orgs/${orgId}/gateway-tokens`,
      { token: admin.token, body: { name: 'watched gateway' } },
    );
    expect(created.status).toBe(201);
    const gatewayToken = created.body.token;
    const registered = await api<{
      usageSigningSecret: string;
      redis: { username: string; password: string } | null;
    }>('POST', '/api/v1/gateway/register', { token: gatewayToken, body: { instanceId: 'watched-1' } });
    expect(registered.status).toBe(200);
    const { usageSigningSecret, redis } = registered.body;
    expect(usageSigningSecret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // The shared test Redis lets the control plane mint users, as GATEWAY_REDIS_USERS=auto does.
    expect(redis?.password.length).toBeGreaterThanOrEqual(32);
    const redisPassword = redis?.password ?? 'unreachable';

    // Everything else a gateway and an admin do afterwards.
    const again = await api<{ usageSigningSecret: string }>('POST', '/api/v1/gateway/register', {
      token: gatewayToken,
      body: { instanceId: 'watched-2' },
    });
    expect(again.body.usageSigningSecret).toBe(usageSigningSecret); // the same secret, re-sent to its own gateway
    await api('GET', '/api/v1/gateway/snapshot', { token: gatewayToken });
    await api('POST', '/api/v1/gateway/heartbeat', {
      token: gatewayToken,
      body: { instanceId: 'watched-2', snapshotVersion: 1 },
    });
    await api('GET', `/api/v1/orgs/${orgId}/gateways`, { token: admin.token });
    const last = await api('GET', `/api/v1/orgs/${orgId}/audit-events?limit=200`, { token: admin.token });

    expect(seenBodies.filter((b) => b.includes(gatewayToken))).toHaveLength(1);
    expect(seenBodies.filter((b) => b.includes(usageSigningSecret))).toHaveLength(2);
    expect(seenBodies.filter((b) => b.includes(redisPassword)).length).toBeGreaterThanOrEqual(1);
    expect(seenBodies.filter((b) => b.includes(redisPassword) && !b.includes(usageSigningSecret))).toEqual(
      [],
    );

    const dump = databaseDump();
    expect(dump).toContain(created.body.gateway.id);
    for (const secret of [gatewayToken, usageSigningSecret, redisPassword])
      expect(dump).not.toContain(secret);

    const inRedis = await redisDump();
    expect(inRedis).toContain(redis?.username ?? 'no user'); // the ACL list is read, and holds the minted user
    for (const secret of [gatewayToken, usageSigningSecret, redisPassword])
      expect(inRedis).not.toContain(secret);

    const logs = await logThrough(last);
    expect(logs).toContain('/gateway/register');
    for (const secret of [gatewayToken, usageSigningSecret, redisPassword])
      expect(logs).not.toContain(secret);
  });
});
