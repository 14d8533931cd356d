/**
 * What the webhook tests share: a control plane of their own (own database, a private redis-server for
 * BullMQ, loopback allowlisted so a receiver in the test is reachable), a small API client for it, and a
 * real HTTP receiver that verifies signatures and refuses replays the way control-plane/docs/webhooks.md says to.
 */
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { UsageEventSchema } from '@portcullis/shared/usage';
import { verifyWebhookSignature } from '@portcullis/shared/webhooks';
import {
  createDatabase,
  databaseUrl,
  dropDatabase,
  freePort,
  type RunningProcess,
  startControlPlane,
} from '@portcullis/testing/processes';
import { startRedisServer } from '@portcullis/testing/redis-server';
import { type ApiResponse, request } from '@portcullis/testing/rest';
import { waitFor } from '@portcullis/testing/wait';
import Redis from 'ioredis';
import { TEST_MASTER_KEY } from './global-setup';
import { usageEvent } from './usage-harness';
import { TestSigners } from './usage-signer';

export const ROOT = { email: 'hooks@portcullis.test', password: 'hooks-password-1' };

export type { ErrorBody } from '@portcullis/testing/rest';
export type Res<T = unknown> = ApiResponse<T>;

export class Stack {
  db = '';
  base = '';
  redisPort = 0;
  cp: RunningProcess | null = null;
  private redis: RunningProcess | null = null;
  private port = 0;
  /** Every response body received, to count where a secret appeared. */
  readonly seen: string[] = [];
  /** Everything the control plane printed, across restarts. */
  private pastOutput = '';

  /**
   * `mailLink`: where to find an invitation's link when the control plane mails it (SMTP_URL set: the
   * invite answer then has no link).
   */
  constructor(
    private readonly env: Record<string, string> = {},
    private readonly mailLink?: (email: string) => Promise<string>,
  ) {}

  async start(): Promise<void> {
    this.db = await createDatabase('portcullis_hooks');
    this.redisPort = await freePort();
    this.port = await freePort();
    this.base = `http://127.0.0.1:${this.port}`;
    await this.startRedis();
    await this.startControlPlane();
  }

  /** A private redis-server on `redisPort` (started again on the same port after `stopRedis`). */
  async startRedis(): Promise<void> {
    this.redis = await startRedisServer({ port: this.redisPort });
  }

  async stopRedis(): Promise<void> {
    await this.redis?.stop();
    this.redis = null;
  }

  async startControlPlane(extra: Record<string, string> = {}): Promise<void> {
    this.cp = await startControlPlane({
      DATABASE_URL: databaseUrl(this.db),
      PORT: String(this.port),
      REDIS_URL: `redis://127.0.0.1:${this.redisPort}`,
      PORTCULLIS_MASTER_KEY: TEST_MASTER_KEY,
      BOOTSTRAP_ADMIN_EMAIL: ROOT.email,
      BOOTSTRAP_ADMIN_PASSWORD: ROOT.password,
      BOOTSTRAP_ORG_NAME: 'Hooks Org',
      WEBHOOK_ALLOWLIST: '127.0.0.1',
      WEBHOOK_BACKOFF_MS: '100',
      WEBHOOK_MAX_ATTEMPTS: '4',
      ...this.env,
      ...extra,
    });
  }

  async stopControlPlane(): Promise<void> {
    if (!this.cp) return;
    await this.cp.stop();
    this.pastOutput += this.cp.output();
    this.cp = null;
  }

  output(): string {
    return this.pastOutput + (this.cp?.output() ?? '');
  }

  async stop(): Promise<void> {
    await this.stopControlPlane();
    await this.stopRedis();
    if (this.db) await dropDatabase(this.db);
  }

  async call<T = unknown>(method: string, path: string, token?: string, body?: unknown): Promise<Res<T>> {
    const res = await request<T>(
      method,
      `${this.base}/api/v1${path}`,
      typeof body === 'string' ? { token, rawBody: body } : { token, body },
    );
    this.seen.push(res.text);
    return res;
  }

  async login(email: string, password: string): Promise<string> {
    const r = await this.call<{ token: string }>('POST', '/auth/login', undefined, { email, password });
    if (r.status !== 200) throw new Error(`login failed: ${r.status} ${r.text}`);
    return r.body.token;
  }

  /** A fresh organization with its own admin and a member (invited and accepted). */
  async newOrg(): Promise<{ orgId: string; admin: string; member: string; memberId: string }> {
    const root = await this.login(ROOT.email, ROOT.password);
    const org = await this.call<{ id: string }>('POST', '/orgs', root, { name: `org-${uid()}` });
    if (org.status !== 201) throw new Error(`org create failed: ${org.text}`);
    const admin = await this.join(org.body.id, root, 'admin');
    const member = await this.join(org.body.id, admin.token, 'member');
    return { orgId: org.body.id, admin: admin.token, member: member.token, memberId: member.userId };
  }

  private async join(orgId: string, by: string, role: 'admin' | 'member') {
    const email = `${role}-${uid()}@example.test`;
    const inv = await this.call<{ acceptUrl: string | null }>('POST', `/orgs/${orgId}/invitations`, by, {
      email,
      role,
    });
    if (inv.status !== 201) throw new Error(`invite failed: ${inv.text}`);
    const url = inv.body.acceptUrl ?? (await this.mailLink?.(email));
    if (!url) throw new Error('the invitation link was neither in the answer nor mailed');
    const token = url.split('/').pop() ?? '';
    const acc = await this.call<{ token: string; user: { id: string } }>(
      'POST',
      `/invitations/${token}/accept`,
      undefined,
      { name: `User ${email}`, password: 'member-password-1' },
    );
    if (acc.status !== 200) throw new Error(`accept failed: ${acc.text}`);
    return { token: acc.body.token, userId: acc.body.user.id };
  }
}

let n = 0;
export const uid = () => `${Date.now().toString(36)}${(n++).toString(36)}`;

export interface Received {
  headers: IncomingHttpHeaders;
  raw: string;
  /** What the receiver answered. */
  status: number;
  verified: boolean;
}

/**
 * A webhook receiver as control-plane/docs/webhooks.md describes one: verifies the signature over the raw body
 * (400 otherwise), refuses a delivery id it has already processed (409), answers the next scripted
 * status (200 once the script is used up) and remembers the id only when it answered 2xx.
 */
export class Receiver {
  readonly received: Received[] = [];
  private readonly processed = new Set<string>();
  script: number[] = [];
  secret = '';
  private server: Server | null = null;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const sig = req.headers['portcullis-signature'];
        const id = req.headers['portcullis-webhook-id'];
        const v = verifyWebhookSignature(
          this.secret,
          typeof sig === 'string' ? sig : null,
          raw,
          Math.floor(Date.now() / 1000),
        );
        let status: number;
        if (!v.ok) status = 400;
        else if (typeof id !== 'string' || this.processed.has(id)) status = 409;
        else status = this.script.shift() ?? 200;
        if (status >= 200 && status < 300 && typeof id === 'string') this.processed.add(id);
        this.received.push({ headers: req.headers, raw, status, verified: v.ok });
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ ok: status < 300 }));
      });
    });
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hooks`;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise((r) => this.server?.close(r));
  }

  /** Sends a captured request again, byte for byte (what an attacker who saw it would do). */
  async replay(r: Received, raw: string = r.raw): Promise<number> {
    const res = await fetch(this.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'portcullis-webhook-id': String(r.headers['portcullis-webhook-id']),
        'portcullis-signature': String(r.headers['portcullis-signature']),
      },
      body: raw,
    });
    await res.arrayBuffer();
    return res.status;
  }
}

/**
 * Spends on keys as a gateway does: signed usage events XADDed to the organization's stream, one per
 * cost (USD), dated `dayStart` + an hour, a second apart; each call resolves once the key shows all its
 * events ingested (what a user sees on the key) before the next step.
 */
export class Spender {
  private readonly sent = new Map<string, number>();
  private readonly signers: TestSigners;
  private redis: Redis | null = null;

  constructor(
    private readonly stack: Stack,
    private readonly userAgent: string,
  ) {
    this.signers = new TestSigners(() => stack.base);
  }

  async spend(
    orgId: string,
    admin: string,
    key: { id: string; ownerId: string },
    dayStart: number,
    costs: number[],
  ): Promise<void> {
    this.redis ??= new Redis(this.stack.redisPort, '127.0.0.1');
    const lines: { stream: string; line: string }[] = [];
    for (const [i, costUsd] of costs.entries()) {
      const event = UsageEventSchema.parse(
        usageEvent(orgId, key, {
          time: new Date(dayStart + 3_600_000 + i * 1000).toISOString(),
          model: 'demo-gpt',
          inputTokens: 100,
          outputTokens: 50,
          costUsd,
          userAgent: this.userAgent,
          metadata: {},
        }),
      );
      lines.push(await this.signers.sign(event, admin));
    }
    const pipe = this.redis.pipeline();
    for (const { stream, line } of lines) pipe.xadd(stream, '*', 'e', line);
    await pipe.exec();
    this.sent.set(key.id, (this.sent.get(key.id) ?? 0) + costs.length);
    await waitFor(async () => {
      const k = await this.stack.call<{ requestCount: number }>(
        'GET',
        `/orgs/${orgId}/keys/${key.id}`,
        admin,
      );
      return k.body.requestCount === this.sent.get(key.id) ? true : undefined;
    }, 'the events to be ingested');
  }

  close(): void {
    this.redis?.disconnect();
  }
}
