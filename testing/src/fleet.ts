import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type FakeUpstream, startFakeUpstream } from './fake-upstream/server';
import {
  createDatabase,
  databaseUrl,
  dropDatabase,
  freePort,
  GATEWAY_MAIN,
  type RunningProcess,
  startControlPlane,
  startProcess,
} from './processes';
import { startRedisServer } from './redis-server';
import { type ApiResponse, checkAnswersFrom, type RequestOptions, request, requestOk } from './rest';

/**
 * A whole fleet of real processes for end-to-end tests: Postgres database, a private redis-server,
 * the fake upstream, the control plane and N gateways, each its own process.
 */
export const MASTER_KEY = Buffer.alloc(32, 7).toString('base64');
export const ADMIN = {
  email: 'fleet-admin@portcullis.test',
  password: 'fleet-admin-password',
  org: 'Fleet Org',
};

export interface Gateway {
  url: string;
  stateDir: string;
  port: number;
  name: string;
  token: string;
  proc: RunningProcess | null;
}

export class Fleet {
  private readonly fakeCredentials = new Map<'openai' | 'anthropic', string>();
  private keys = 0;
  db = '';
  redisPort = 0;
  redis: RunningProcess | null = null;
  cp: RunningProcess | null = null;
  cpUrl = '';
  cpPort = 0;
  upstream!: FakeUpstream;
  gateways: Gateway[] = [];
  adminToken = '';
  orgId = '';
  /** Extra settings for the control plane (e.g. `PUBLIC_DASHBOARD_URL` when a dashboard runs too). */
  cpEnv: Record<string, string> = {};
  /** Extra redis-server arguments (e.g. `--aclfile …`). */
  redisArgs: string[] = [];
  /** `user:password` the control plane connects to Redis as (default: none, the default user). */
  cpRedisAuth = '';
  private readonly dirs: string[] = [];

  async start(gateways: number): Promise<void> {
    this.upstream = await startFakeUpstream({ words: 6 });
    this.redisPort = await freePort();
    await this.startRedis();
    this.db = await createDatabase('portcullis_fleet');
    this.cpPort = await freePort();
    this.cpUrl = `http://127.0.0.1:${this.cpPort}`;
    // Every control-plane answer a test reads through `request` is held to the route table.
    checkAnswersFrom(this.cpUrl);
    await this.startControlPlane();
    await this.signIn();
    for (let i = 0; i < gateways; i++) {
      const dir = mkdtempSync(path.join(tmpdir(), 'portcullis-gw-'));
      this.dirs.push(dir);
      const name = `edge-${i + 1}`;
      const { token } = await this.api<{ token: string }>('POST', `/orgs/${this.orgId}/gateway-tokens`, {
        name,
      });
      this.gateways.push({ url: '', stateDir: dir, port: await freePort(), proc: null, name, token });
    }
    for (const g of this.gateways) await this.startGateway(g);
  }

  /** One more gateway (not started) with its own state directory, for a token created by the test. */
  async addGateway(token: string, name: string): Promise<Gateway> {
    const dir = mkdtempSync(path.join(tmpdir(), 'portcullis-gw-'));
    this.dirs.push(dir);
    const g: Gateway = { url: '', stateDir: dir, port: await freePort(), proc: null, name, token };
    this.gateways.push(g);
    return g;
  }

  async startRedis(): Promise<void> {
    // Persistent, as deployed: a restart keeps the usage stream's entries that the control plane has not
    // consumed yet; it is a restart, not a wipe.
    this.redis = await startRedisServer({ port: this.redisPort, dir: this.redisDir(), args: this.redisArgs });
  }

  #redisDir = '';
  private redisDir(): string {
    if (!this.#redisDir) {
      this.#redisDir = mkdtempSync(path.join(tmpdir(), 'portcullis-redis-'));
      this.dirs.push(this.#redisDir);
    }
    return this.#redisDir;
  }

  async stopRedis(): Promise<void> {
    await this.redis?.stop();
    this.redis = null;
  }

  async startControlPlane(): Promise<void> {
    this.cp = await startControlPlane({
      DATABASE_URL: databaseUrl(this.db),
      REDIS_URL: `redis://${this.cpRedisAuth ? `${this.cpRedisAuth}@` : ''}127.0.0.1:${this.redisPort}`,
      PORT: String(this.cpPort),
      PORTCULLIS_MASTER_KEY: MASTER_KEY,
      UPSTREAM_ALLOWLIST: '127.0.0.1,localhost',
      WEBHOOK_ALLOWLIST: '127.0.0.1,localhost',
      MCP_ALLOWLIST: '127.0.0.1,localhost',
      BOOTSTRAP_ADMIN_EMAIL: ADMIN.email,
      BOOTSTRAP_ADMIN_PASSWORD: ADMIN.password,
      BOOTSTRAP_ORG_NAME: ADMIN.org,
      ...this.cpEnv,
    });
  }

  async stopControlPlane(): Promise<void> {
    await this.cp?.stop();
    this.cp = null;
  }

  async startGateway(g: Gateway, waitReady = true): Promise<void> {
    g.url = `http://127.0.0.1:${g.port}`;
    g.proc = await startProcess({
      cmd: process.execPath,
      args: [GATEWAY_MAIN],
      env: {
        PORT: String(g.port),
        CONTROL_PLANE_URL: this.cpUrl,
        GATEWAY_TOKEN: g.token,
        REDIS_URL: `redis://127.0.0.1:${this.redisPort}`,
        GATEWAY_STATE_DIR: g.stateDir,
        UPSTREAM_ALLOWLIST: '127.0.0.1,localhost',
        MCP_ALLOWLIST: '127.0.0.1,localhost',
      },
      ready: { url: `${g.url}/healthz` },
    });
    if (waitReady) await this.waitReady(g);
  }

  async stopGateway(g: Gateway): Promise<void> {
    await g.proc?.stop();
    g.proc = null;
  }

  async waitReady(g: Gateway, timeoutMs = 15_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const res = await fetch(`${g.url}/readyz`).catch(() => null);
      if (res?.status === 200) return ((await res.json()) as { snapshotVersion: number }).snapshotVersion;
      if (Date.now() > deadline) throw new Error(`gateway ${g.url} not ready:\n${g.proc?.output()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async signIn(): Promise<void> {
    const body = await requestOk<{ token: string; organizations: { id: string }[] }>(
      'POST',
      `${this.cpUrl}/api/v1/auth/login`,
      { body: { email: ADMIN.email, password: ADMIN.password } },
    );
    this.adminToken = body.token;
    this.orgId = body.organizations[0]?.id ?? '';
  }

  /** A call that must succeed, as the admin. */
  api<T>(method: string, p: string, body?: unknown): Promise<T> {
    return requestOk<T>(method, `${this.cpUrl}/api/v1${p}`, { token: this.adminToken, body });
  }

  /** A call whose answer the test reads, status included; sent as `opts.token` (none: anonymous). */
  call<T = unknown>(method: string, p: string, opts: RequestOptions = {}): Promise<ApiResponse<T>> {
    return request<T>(method, `${this.cpUrl}/api/v1${p}`, opts);
  }

  /** Invites someone with `role` and accepts the invitation as they would: their id and own session. */
  async invite(role: 'admin' | 'member'): Promise<{ id: string; email: string; token: string }> {
    const email = `${role}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}@fleet.test`;
    const inv = await this.api<{ acceptUrl: string }>('POST', `/orgs/${this.orgId}/invitations`, {
      email,
      role,
    });
    const accepted = await requestOk<{ token: string; user: { id: string } }>(
      'POST',
      `${this.cpUrl}/api/v1/invitations/${inv.acceptUrl.split('/').pop() ?? ''}/accept`,
      { body: { name: `User ${email}`, password: 'fleet-member-password' } },
    );
    return { id: accepted.user.id, email, token: accepted.token };
  }

  /**
   * A model of the fake upstream, enabled, with the given prices: OpenAI format through an
   * `openai_compatible` credential, or Anthropic's (one credential of each per fleet, made on first use).
   * Its upstream name is `opts.upstreamModel`, else the slug.
   */
  async addFakeModel(
    slug: string,
    prices: { inputPricePerMTok: number; outputPricePerMTok: number },
    opts: { wire?: 'openai' | 'anthropic'; upstreamModel?: string } = {},
  ): Promise<void> {
    const wire = opts.wire ?? 'openai';
    let credentialId = this.fakeCredentials.get(wire);
    if (credentialId === undefined) {
      credentialId = (
        await this.api<{ id: string }>(
          'POST',
          `/orgs/${this.orgId}/provider-credentials`,
          wire === 'openai'
            ? {
                name: 'fake-openai',
                provider: 'openai_compatible',
                secret: 'sk-fake-upstream-secret-0001',
                config: { baseUrl: `${this.upstream.url}/v1` },
              }
            : {
                name: 'fake-anthropic',
                provider: 'anthropic',
                secret: 'sk-ant-fake-upstream-0002',
                config: { baseUrl: this.upstream.url },
              },
        )
      ).id;
      this.fakeCredentials.set(wire, credentialId);
    }
    await this.api('POST', `/orgs/${this.orgId}/models`, {
      slug,
      credentialId,
      upstreamModel: opts.upstreamModel ?? slug,
      ...prices,
      enabled: true,
    });
  }

  /** A key in the fleet's organization, made by the admin (`body` as the REST API takes it). */
  async addKey(body: Record<string, unknown> = {}): Promise<{ id: string; secret: string }> {
    const made = await this.api<{ key: { id: string }; secret: string }>('POST', `/orgs/${this.orgId}/keys`, {
      name: `key ${++this.keys}`,
      ...body,
    });
    return { id: made.key.id, secret: made.secret };
  }

  async stop(): Promise<void> {
    for (const g of this.gateways) await this.stopGateway(g);
    await this.stopControlPlane();
    await this.stopRedis();
    await this.upstream?.close();
    if (this.db) await dropDatabase(this.db);
    for (const d of this.dirs) rmSync(d, { recursive: true, force: true });
  }
}
