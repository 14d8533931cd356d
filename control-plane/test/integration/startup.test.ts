import {
  createDatabase,
  databaseUrl,
  dropDatabase,
  freePort,
  runToExit,
  startControlPlane,
} from '@portcullis/testing/processes';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const bootstrapEnv = {
  BOOTSTRAP_ADMIN_EMAIL: 'first@portcullis.test',
  BOOTSTRAP_ADMIN_PASSWORD: 'first-password-1',
  BOOTSTRAP_ORG_NAME: 'First Org',
};

async function counts(url: string): Promise<Record<string, number>> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const r = await c.query(`SELECT
      (SELECT count(*)::int FROM organizations) AS orgs,
      (SELECT count(*)::int FROM users) AS users,
      (SELECT count(*)::int FROM memberships) AS memberships,
      (SELECT count(*)::int FROM audit_events) AS audit,
      (SELECT count(*)::int FROM schema_migrations) AS migrations`);
    return r.rows[0];
  } finally {
    await c.end();
  }
}

describe('start-up', () => {
  it('without DATABASE_URL stops with one clear sentence, no stack trace', async () => {
    const { code, output } = await runToExit({ PORT: String(await freePort()) });
    expect(code).toBe(1);
    expect(output.trim().split('\n')).toHaveLength(1);
    expect(output).toMatch(/^Portcullis control plane cannot start: setting DATABASE_URL is required/);
    expect(output).not.toMatch(/\n\s+at /);
  });

  it('with an unreachable database stops with one clear sentence that does not leak the password', async () => {
    const { code, output } = await runToExit({
      DATABASE_URL: 'postgres://postgres:sup3rs3cret@127.0.0.1:1/portcullis',
      PORT: String(await freePort()),
    });
    expect(code).toBe(1);
    expect(output.trim().split('\n')).toHaveLength(1);
    expect(output).toMatch(/cannot start: the database at 127\.0\.0\.1:1\/portcullis is unreachable/);
    expect(output).not.toContain('sup3rs3cret');
  });

  it('with half of the bootstrap settings stops and says which belong together', async () => {
    const { code, output } = await runToExit({
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/postgres',
      BOOTSTRAP_ADMIN_EMAIL: 'a@b.c',
    });
    expect(code).toBe(1);
    expect(output).toMatch(
      /BOOTSTRAP_ADMIN_EMAIL, BOOTSTRAP_ADMIN_PASSWORD and BOOTSTRAP_ORG_NAME must be given together/,
    );
  });

  describe('on a fresh database', () => {
    let db: string;
    beforeAll(async () => {
      db = await createDatabase('portcullis_start');
    });
    afterAll(async () => {
      await dropDatabase(db);
    });

    it('migrates and bootstraps once; later starts change nothing', async () => {
      const url = databaseUrl(db);
      const first = await startControlPlane({
        DATABASE_URL: url,
        PORT: String(await freePort()),
        ...bootstrapEnv,
      });
      await first.stop();
      const after1 = await counts(url);
      expect(after1).toMatchObject({ orgs: 1, users: 1, memberships: 1, audit: 1 });
      expect(after1.migrations).toBeGreaterThan(0);

      // A second start, with a different bootstrap password and org name: nothing changes.
      const port = await freePort();
      const second = await startControlPlane({
        DATABASE_URL: url,
        PORT: String(port),
        ...bootstrapEnv,
        BOOTSTRAP_ADMIN_PASSWORD: 'another-password-2',
        BOOTSTRAP_ORG_NAME: 'Second Org',
      });
      try {
        expect(await counts(url)).toEqual(after1);
        const login = (password: string) =>
          fetch(`http://127.0.0.1:${port}/api/v1/auth/login`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ email: bootstrapEnv.BOOTSTRAP_ADMIN_EMAIL, password }),
          });
        expect((await login('first-password-1')).status).toBe(200);
        expect((await login('another-password-2')).status).toBe(401);
        const orgs = (await (await login('first-password-1')).json()) as {
          organizations: { name: string; role: string }[];
        };
        expect(orgs.organizations).toEqual([expect.objectContaining({ name: 'First Org', role: 'admin' })]);
      } finally {
        await second.stop();
      }
    });

    it('two control planes starting at once migrate and bootstrap exactly once', async () => {
      const fresh = await createDatabase('portcullis_race');
      try {
        const url = databaseUrl(fresh);
        const [a, b] = await Promise.all([
          startControlPlane({ DATABASE_URL: url, PORT: String(await freePort()), ...bootstrapEnv }),
          startControlPlane({ DATABASE_URL: url, PORT: String(await freePort()), ...bootstrapEnv }),
        ]);
        await Promise.all([a.stop(), b.stop()]);
        expect(await counts(url)).toMatchObject({ orgs: 1, users: 1, memberships: 1, audit: 1 });
      } finally {
        await dropDatabase(fresh);
      }
    });
  });
});
