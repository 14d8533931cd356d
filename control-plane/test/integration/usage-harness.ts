/**
 * A private stack for usage tests: its own database, its own redis-server and a control plane that
 * can be stopped, killed and restarted on them, plus helpers that write usage events to the stream
 * exactly as a gateway does (XADD <usageStreamOf(org)> * e <signed json>, signed by a registered test
 * gateway of the event's organization: usage-signer.ts).
 */
import { randomUUID } from 'node:crypto';
import { usageStreamOf } from '@portcullis/shared/redis-keys';
import type { KeyRequestView, UsageEvent } from '@portcullis/shared/usage';
import {
  createDatabase,
  databaseUrl,
  dropDatabase,
  freePort,
  type RunningProcess,
  runToExit,
  startControlPlane,
} from '@portcullis/testing/processes';
import { startRedisServer } from '@portcullis/testing/redis-server';
import { type ApiResponse, request } from '@portcullis/testing/rest';
import Redis from 'ioredis';
import pg from 'pg';
import { TEST_MASTER_KEY } from './global-setup';
import { TestSigners } from './usage-signer';

export const ADMIN = { email: 'usage@portcullis.test', password: 'usage-password-1' };

export type Call<T> = ApiResponse<T>;

export interface UsageStackOptions {
  /** Extra settings for every control-plane start. */
  env?: Record<string, string>;
}

export class UsageStack {
  db = '';
  redisPort = 0;
  cpPort = 0;
  base = '';
  redisProc: RunningProcess | null = null;
  cp: RunningProcess | null = null;
  redis: Redis | null = null;
  pg: pg.Client | null = null;
  token = '';
  orgId = '';
  adminId = '';
  /** Signs events as a gateway of their organization does. */
  readonly signers = new TestSigners(
    () => this.base,
    () => this.token,
  );
  /** What each entry's field `e` was, as sent (signed), by entry id. */
  readonly sent = new Map<string, string>();
  private readonly env: Record<string, string>;

  constructor(opts: UsageStackOptions = {}) {
    this.env = opts.env ?? {};
  }

  async start(): Promise<void> {
    this.db = await createDatabase('portcullis_usage');
    this.redisPort = await freePort();
    await this.startRedis();
    await this.startControlPlane();
    this.pg = new pg.Client({ connectionString: databaseUrl(this.db) });
    await this.pg.connect();
    await this.signIn();
    // Registered now, so events can be signed while the control plane is down later.
    await this.signers.gateway(this.orgId);
  }

  async stop(): Promise<void> {
    await this.cp?.stop();
    this.cp = null;
    await this.pg?.end().catch(() => undefined);
    this.redis?.disconnect();
    await this.stopRedis();
    if (this.db) await dropDatabase(this.db);
  }

  async startRedis(): Promise<void> {
    this.redisProc = await startRedisServer({ port: this.redisPort });
    if (!this.redis) {
      this.redis = new Redis(this.redisPort, '127.0.0.1', { retryStrategy: () => 100 });
      this.redis.on('error', () => undefined);
    }
  }

  async stopRedis(): Promise<void> {
    await this.redisProc?.stop();
    this.redisProc = null;
  }

  async startControlPlane(env: Record<string, string> = {}): Promise<RunningProcess> {
    this.cpPort = this.cpPort || (await freePort());
    this.base = `http://127.0.0.1:${this.cpPort}`;
    this.cp = await startControlPlane({
      DATABASE_URL: databaseUrl(this.db),
      PORT: String(this.cpPort),
      REDIS_URL: `redis://127.0.0.1:${this.redisPort}`,
      PORTCULLIS_MASTER_KEY: TEST_MASTER_KEY,
      BOOTSTRAP_ADMIN_EMAIL: ADMIN.email,
      BOOTSTRAP_ADMIN_PASSWORD: ADMIN.password,
      BOOTSTRAP_ORG_NAME: 'Usage Org',
      USAGE_ROLLUP_INTERVAL_MS: '300',
      USAGE_RETENTION_INTERVAL_MS: '400',
      KEY_EXPIRY_SWEEP_INTERVAL_MS: '300',
      USAGE_CLAIM_IDLE_MS: '1000',
      ...this.env,
      ...env,
    });
    return this.cp;
  }

  /**
   * Runs a control plane that is expected to die on its own (USAGE_TEST_FAULT): resolves with the
   * signal that ended it and what it printed.
   */
  async runUntilDeath(
    env: Record<string, string>,
    timeoutMs = 30_000,
  ): Promise<{ signal: NodeJS.Signals | null; code: number | null; output: string }> {
    this.cpPort = this.cpPort || (await freePort());
    return runToExit(
      {
        NODE_ENV: 'test',
        DATABASE_URL: databaseUrl(this.db),
        PORT: String(this.cpPort),
        REDIS_URL: `redis://127.0.0.1:${this.redisPort}`,
        PORTCULLIS_MASTER_KEY: TEST_MASTER_KEY,
        USAGE_ROLLUP_INTERVAL_MS: '300',
        USAGE_CLAIM_IDLE_MS: '1000',
        ...this.env,
        ...env,
      },
      timeoutMs,
    );
  }

  /** Stops (SIGTERM) the running control plane, waiting for it to exit. */
  async stopControlPlane(): Promise<void> {
    await this.cp?.stop();
    this.cp = null;
  }

  async signIn(): Promise<void> {
    const login = await this.call<{ token: string; user: { id: string }; organizations: { id: string }[] }>(
      'POST',
      '/auth/login',
      { body: ADMIN },
    );
    if (login.status !== 200) throw new Error(`login failed: ${login.text}`);
    this.token = login.body.token;
    this.adminId = login.body.user.id;
    this.orgId = login.body.organizations[0]?.id ?? '';
  }

  async call<T = unknown>(
    method: string,
    path: string,
    opts: { token?: string; body?: unknown } = {},
  ): Promise<Call<T>> {
    const token = opts.token ?? this.token;
    return request<T>(method, `${this.base}/api/v1${path}`, { token, body: opts.body });
  }

  /** GET that must answer 200. */
  async get<T>(path: string, token?: string): Promise<T> {
    const res = await this.call<T>('GET', path, token ? { token } : {});
    if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${res.text}`);
    return res.body;
  }

  async createKey(
    body: Record<string, unknown> = {},
    token?: string,
  ): Promise<{ id: string; ownerId: string; name: string }> {
    const res = await this.call<{ key: { id: string; ownerId: string; name: string } }>(
      'POST',
      `/orgs/${this.orgId}/keys`,
      { body: { name: `key-${randomUUID().slice(0, 8)}`, ...body }, ...(token ? { token } : {}) },
    );
    if (res.status !== 201) throw new Error(`key create failed: ${res.status} ${res.text}`);
    return res.body.key;
  }

  /** A member of the org (invited and accepted): their token and user id. */
  async addMember(role: 'admin' | 'member' = 'member'): Promise<{ token: string; userId: string }> {
    const email = `${role}-${randomUUID().slice(0, 8)}@example.test`;
    const inv = await this.call<{ acceptUrl: string }>('POST', `/orgs/${this.orgId}/invitations`, {
      body: { email, role },
    });
    if (inv.status !== 201) throw new Error(`invite failed: ${inv.text}`);
    const accepted = await this.call<{ token: string; user: { id: string } }>(
      'POST',
      `/invitations/${inv.body.acceptUrl.split('/').pop() ?? ''}/accept`,
      { body: { name: `User ${email}`, password: 'member-password-1' }, token: '' },
    );
    if (accepted.status !== 200) throw new Error(`accept failed: ${accepted.text}`);
    return { token: accepted.body.token, userId: accepted.body.user.id };
  }

  /**
   * Appends events as a gateway does: one entry per event, field `e`, signed by a gateway of the
   * event's organization into that organization's stream. A string that is a JSON object with an
   * `orgId` is signed the same way; any other string is sent as is, to this org's stream.
   * `atomic`: in one MULTI, so a consumer blocked on the stream reads them as one batch (all entries
   * must then go to one stream). Returns the entries' ids.
   */
  async xadd(entries: (UsageEvent | string)[], opts: { atomic?: boolean } = {}): Promise<string[]> {
    return (await this.xaddEntries(entries, opts)).map((e) => e.id);
  }

  /**
   * `xadd`, answering each entry's stream next to its id: ids are per stream, so entries written to
   * two organizations' streams in the same millisecond can have the same id.
   */
  async xaddEntries(
    entries: (UsageEvent | string)[],
    opts: { atomic?: boolean } = {},
  ): Promise<{ stream: string; id: string }[]> {
    const redis = this.redis;
    if (!redis) throw new Error('redis not started');
    const lines: { stream: string; line: string }[] = [];
    for (const e of entries) {
      let obj: unknown = e;
      if (typeof e === 'string') {
        try {
          obj = JSON.parse(e);
        } catch {
          obj = null;
        }
      }
      const signable =
        obj !== null && typeof obj === 'object' && typeof (obj as { orgId?: unknown }).orgId === 'string';
      lines.push(
        signable
          ? await this.signers.sign(obj as Record<string, unknown>)
          : { stream: usageStreamOf(this.orgId), line: String(e) },
      );
    }
    const pipe = opts.atomic ? redis.multi() : redis.pipeline();
    for (const { stream, line } of lines) pipe.xadd(stream, '*', 'e', line);
    const results = await pipe.exec();
    const out: { stream: string; id: string }[] = [];
    for (const [i, [err, id]] of (results ?? []).entries()) {
      if (err) throw err;
      const stream = lines[i]?.stream ?? '';
      out.push({ stream, id: String(id) });
      this.sent.set(entryRef(stream, String(id)), lines[i]?.line ?? '');
    }
    return out;
  }

  async query<T extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<T[]> {
    if (!this.pg) throw new Error('pg not connected');
    return (await this.pg.query<T>(sql, params)).rows;
  }

  /** Every row of a key's usage history, following cursors. */
  async allRequests(keyId: string, token?: string): Promise<RequestItem[]> {
    const rows: RequestItem[] = [];
    let cursor: string | null = null;
    do {
      const page: { data: RequestItem[]; nextCursor: string | null } = await this.get(
        `/orgs/${this.orgId}/keys/${keyId}/requests?limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        token,
      );
      rows.push(...page.data);
      cursor = page.nextCursor;
    } while (cursor);
    return rows;
  }
}

/** One row of `GET …/keys/:id/requests`. */
export type RequestItem = KeyRequestView;

/** A usage event as a gateway would emit it for `key`. */
export function usageEvent(
  orgId: string,
  key: { id: string; ownerId: string },
  over: Partial<UsageEvent> = {},
): UsageEvent {
  return {
    id: randomUUID(),
    time: new Date().toISOString(),
    orgId,
    keyId: key.id,
    ownerId: key.ownerId,
    // The test gateway of the organization (set when signed: usage-signer.ts).
    gatewayId: 'unsigned',
    requestId: `req_${randomUUID()}`,
    method: 'POST',
    route: '/v1/chat/completions',
    model: 'gpt-4o-mini',
    provider: 'openai',
    inputTokens: 10,
    outputTokens: 20,
    cacheCreationInputTokens: 0,
    cacheReadInputTokens: 0,
    costUsd: 0.000123,
    estimated: false,
    aborted: false,
    status: 200,
    errorCode: null,
    latencyMs: 12.5,
    sourceIp: '203.0.113.7',
    userAgent: 'OpenAI/JS 5.0',
    metadata: { team: 'backend' },
    ...over,
  };
}

export const micro = (usd: number) => Math.round(usd * 1e6);

/** One stream entry, named by its stream and id (ids alone repeat across streams). */
export const entryRef = (stream: string, id: string): string => `${stream} ${id}`;
