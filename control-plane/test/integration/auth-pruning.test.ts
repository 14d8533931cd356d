import {
  createDatabase,
  databaseUrl,
  dropDatabase,
  freePort,
  type RunningProcess,
  startControlPlane,
} from '@portcullis/testing/processes';
import { eventually } from '@portcullis/testing/wait';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_REDIS_URL } from './global-setup';

// Expired sessions and old sign-in attempts are deleted by a periodic job of the control plane
// process (its own database here, and a short interval), while live sessions and recent attempts,
// which the sign-in throttle counts, stay.

const ROOT = { email: 'prune-root@portcullis.test', password: 'prune-password-1' };

describe('pruning of expired sessions and old sign-in attempts', () => {
  let db: string;
  let cp: RunningProcess;
  let base: string;
  const sql = async <T extends pg.QueryResultRow>(text: string, params: unknown[] = []) => {
    const c = new pg.Client({ connectionString: databaseUrl(db) });
    await c.connect();
    try {
      return (await c.query<T>(text, params)).rows;
    } finally {
      await c.end();
    }
  };
  const signIn = async (password: string) => {
    const res = await fetch(`${base}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: ROOT.email, password }),
    });
    return { status: res.status, token: ((await res.json()) as { token?: string }).token ?? '' };
  };
  const me = async (token: string) =>
    (await fetch(`${base}/api/v1/me`, { headers: { authorization: `Bearer ${token}` } })).status;

  beforeAll(async () => {
    db = await createDatabase('portcullis_prune');
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    cp = await startControlPlane({
      DATABASE_URL: databaseUrl(db),
      REDIS_URL: TEST_REDIS_URL,
      PORT: String(port),
      BOOTSTRAP_ADMIN_EMAIL: ROOT.email,
      BOOTSTRAP_ADMIN_PASSWORD: ROOT.password,
      BOOTSTRAP_ORG_NAME: 'Prune Org',
      AUTH_PRUNE_INTERVAL_MS: '200',
    });
  }, 60_000);
  afterAll(async () => {
    await cp?.stop();
    if (db) await dropDatabase(db);
  });

  it('deletes sessions past their expiry and attempts older than the retention, and nothing else', async () => {
    const expired = await signIn(ROOT.password);
    const live = await signIn(ROOT.password);
    expect([expired.status, live.status]).toEqual([200, 200]);
    expect((await signIn('wrong-password-1')).status).toBe(401);
    expect((await signIn('wrong-password-2')).status).toBe(401);

    // Age one session past its expiry and three attempts past the default retention (7 days).
    const sessions = await sql<{ id: string }>('SELECT id FROM sessions ORDER BY created_at, id');
    expect(sessions).toHaveLength(2);
    await sql("UPDATE sessions SET expires_at = now() - interval '1 minute' WHERE id = $1", [
      sessions[0]?.id,
    ]);
    const attempts = await sql<{ id: string }>('SELECT id FROM login_attempts ORDER BY id');
    expect(attempts).toHaveLength(4);
    const old = attempts.slice(0, 3).map((a) => a.id);
    await sql(
      "UPDATE login_attempts SET created_at = now() - interval '8 days' WHERE id = ANY($1::bigint[])",
      [old],
    );
    // Throttle counters: the ones the wrong passwords made, one aged past its window.
    const counters = await sql<{ subject: string }>('SELECT subject FROM login_counters ORDER BY subject');
    expect(counters.length).toBeGreaterThanOrEqual(2);
    await sql("UPDATE login_counters SET window_started_at = now() - interval '1 hour' WHERE subject = $1", [
      counters[0]?.subject,
    ]);
    // Six days old: still within the retention.
    await sql("UPDATE login_attempts SET created_at = now() - interval '6 days' WHERE id = $1", [
      attempts[3]?.id,
    ]);

    await eventually(async () => {
      const [row] = await sql<{ sessions: number; attempts: number }>(
        `SELECT (SELECT count(*)::int FROM sessions WHERE expires_at <= now()) AS sessions,
                (SELECT count(*)::int FROM login_attempts WHERE created_at < now() - interval '7 days') AS attempts`,
      );
      const [stale] = await sql<{ n: number }>(
        "SELECT count(*)::int AS n FROM login_counters WHERE window_started_at < now() - interval '30 minutes'",
      );
      return row?.sessions === 0 && row.attempts === 0 && stale?.n === 0;
    }, 15_000);

    expect((await sql<{ id: string }>('SELECT id FROM sessions')).map((s) => s.id)).toEqual([
      sessions[1]?.id,
    ]);
    expect((await sql<{ id: string }>('SELECT id FROM login_attempts')).map((a) => a.id)).toEqual([
      attempts[3]?.id,
    ]);
    expect(
      (await sql<{ subject: string }>('SELECT subject FROM login_counters ORDER BY subject')).map(
        (c) => c.subject,
      ),
    ).toEqual(counters.slice(1).map((c) => c.subject));
    expect(await me(live.token)).toBe(200);
    expect(await me(expired.token)).toBe(401);
  });
});
