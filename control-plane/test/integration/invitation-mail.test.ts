/**
 * Invitation mail through a real SMTP server (smtp-server, in this process) from a control plane of
 * its own with SMTP_URL set: the invitee receives the one-time link, a temporary SMTP failure is
 * retried, the link is only in the mail (never in the invite answer, so nobody can claim an email they
 * do not receive), and the token never reaches the logs.
 */

import { databaseUrl, runToExit } from '@portcullis/testing/processes';
import { eventually } from '@portcullis/testing/wait';
import Redis from 'ioredis';
import pg from 'pg';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Stack, uid } from './webhooks-harness';

interface Mail {
  from: string;
  to: string[];
  raw: string;
}

/** Quoted-printable soft breaks and escapes undone, so a long link reads as one piece. */
const decodeQp = (s: string) =>
  s
    .replace(/=\r?\n/g, '')
    .replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(Number.parseInt(h, 16)));

class MailSink {
  readonly mails: Mail[] = [];
  /** Recipients whose next N deliveries get a temporary failure (451). */
  readonly failNext = new Map<string, number>();
  attempts = 0;
  port = 0;
  private server: SMTPServer | null = null;

  async start(): Promise<void> {
    this.server = new SMTPServer({
      disabledCommands: ['AUTH', 'STARTTLS'],
      logger: false,
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          this.attempts++;
          const to = session.envelope.rcptTo.map((r) => r.address);
          const first = to[0] ?? '';
          const fails = this.failNext.get(first) ?? 0;
          if (fails > 0) {
            this.failNext.set(first, fails - 1);
            const err = Object.assign(new Error('Mailbox busy, try again later'), { responseCode: 451 });
            callback(err);
            return;
          }
          const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
          this.mails.push({ from, to, raw: decodeQp(Buffer.concat(chunks).toString('utf8')) });
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.server.address() as { port: number }).port;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  async waitFor(to: string, timeoutMs = 20_000): Promise<Mail> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const mail = this.mails.find((m) => m.to.includes(to));
      if (mail) return mail;
      if (Date.now() > deadline) throw new Error(`no mail to ${to} within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** Every value in the private Redis as text (BullMQ keeps job data in hashes, lists and sorted sets). */
async function redisDump(port: number): Promise<string> {
  const r = new Redis(port, '127.0.0.1');
  try {
    const out: string[] = [];
    for (const key of await r.keys('*')) {
      const type = await r.type(key);
      if (type === 'string') out.push(String(await r.get(key)));
      else if (type === 'hash') out.push(JSON.stringify(await r.hgetall(key)));
      else if (type === 'list') out.push(JSON.stringify(await r.lrange(key, 0, -1)));
      else if (type === 'zset') out.push(JSON.stringify(await r.zrange(key, 0, -1)));
      else if (type === 'set') out.push(JSON.stringify(await r.smembers(key)));
      else if (type === 'stream') out.push(JSON.stringify(await r.xrange(key, '-', '+')));
    }
    expect(out.length).toBeGreaterThan(0);
    return out.join('\n');
  } finally {
    r.disconnect();
  }
}

const linkIn = (mail: Mail): string => {
  const link = /https?:\/\/\S+\/invitations\/ptci_[A-Za-z0-9_-]+/.exec(mail.raw)?.[0];
  if (!link) throw new Error('no invitation link in the mail');
  return link;
};

const sink = new MailSink();
let stack: Stack;

beforeAll(async () => {
  await sink.start();
  stack = new Stack(
    {
      SMTP_URL: `smtp://127.0.0.1:${sink.port}`,
      SMTP_FROM: 'Portcullis Test <invites@portcullis.test>',
    },
    async (email) => linkIn(await sink.waitFor(email)),
  );
  await stack.start();
}, 60_000);

afterAll(async () => {
  await stack?.stop();
  await sink.stop();
}, 30_000);

interface Invited {
  invitation: { id: string; email: string; mailStatus: string | null };
  acceptUrl: string | null;
}
interface Row {
  id: string;
  email: string;
  status: string;
  invitation: { mailStatus: string | null } | null;
}

async function mailStatus(orgId: string, admin: string, email: string): Promise<string | null | undefined> {
  const res = await stack.call<{ data: Row[] }>(
    'GET',
    `/orgs/${orgId}/users?status=invited&limit=200`,
    admin,
  );
  return res.body.data.find((r) => r.email === email)?.invitation?.mailStatus;
}

describe('invitation mail', () => {
  it('mails the one-time link to the invitee and to nobody else; the mailed link works', async () => {
    const { orgId, admin } = await stack.newOrg();
    const email = `mailed-${uid()}@example.test`;
    const inv = await stack.call<Invited>('POST', `/orgs/${orgId}/invitations`, admin, {
      email,
      role: 'member',
    });
    expect(inv.status, inv.text).toBe(201);
    expect(inv.body.invitation.mailStatus).toBe('queued');
    expect(inv.body.acceptUrl).toBeNull();
    expect(inv.text).not.toContain('ptci_');

    const mail = await sink.waitFor(email);
    expect(mail.from).toBe('invites@portcullis.test');
    expect(mail.raw).toMatch(/^Subject: You are invited to org-\S+ on Portcullis/m);
    const link = /https?:\/\/\S+\/invitations\/(ptci_[A-Za-z0-9_-]+)/.exec(mail.raw);
    expect(link?.[1]).toBeTruthy();
    await eventually(async () => (await mailStatus(orgId, admin, email)) === 'sent');

    const accepted = await stack.call<{ user: { email: string } }>(
      'POST',
      `/invitations/${link?.[1]}/accept`,
      undefined,
      {
        name: 'Mailed Person',
        password: 'mailed-password-1',
      },
    );
    expect(accepted.status, accepted.text).toBe(200);
    expect(accepted.body.user.email).toBe(email);
    // Once sent, the sealed link is gone from the database too.
    const client = new pg.Client({ connectionString: databaseUrl(stack.db) });
    await client.connect();
    try {
      const left = await client.query('SELECT mail_link_sealed FROM invitations WHERE id = $1', [
        inv.body.invitation.id,
      ]);
      expect(left.rows[0]?.mail_link_sealed).toBeNull();
    } finally {
      await client.end();
    }
  });

  it('retries a temporary SMTP failure and delivers; the token never appears in the logs or Redis', async () => {
    const { orgId, admin } = await stack.newOrg();
    const email = `retried-${uid()}@example.test`;
    sink.failNext.set(email, 1);
    const inv = await stack.call<Invited>('POST', `/orgs/${orgId}/invitations`, admin, {
      email,
      role: 'admin',
    });
    expect(inv.status).toBe(201);
    const mail = await sink.waitFor(email);
    expect(sink.failNext.get(email)).toBe(0);
    await eventually(async () => (await mailStatus(orgId, admin, email)) === 'sent');
    const token = linkIn(mail).split('/').pop() ?? '';
    expect(stack.output()).toMatch(/mail attempt 1\/5 failed/);
    expect(stack.output()).not.toContain(token);
    expect(await redisDump(stack.redisPort)).not.toContain(token.slice(5));
  });

  it('nobody can pre-claim an email by inviting it into an organization of their own: the link goes only to its mailbox', async () => {
    // Any signed-in user may create an organization and invite any address to it.
    const { orgId, admin: attacker } = await stack.newOrg();
    const victim = `pre-claimed-${uid()}@example.test`;
    const inv = await stack.call<Invited>('POST', `/orgs/${orgId}/invitations`, attacker, {
      email: victim,
      role: 'member',
    });
    expect(inv.status).toBe(201);
    expect(inv.body.acceptUrl).toBeNull();
    expect(inv.text).not.toContain('ptci_');
    // Nothing the attacker can read holds the link: not the users list, not the audit trail.
    const listed = await stack.call('GET', `/orgs/${orgId}/users?status=invited`, attacker);
    const audit = await stack.call('GET', `/orgs/${orgId}/audit-events`, attacker);
    expect(listed.text + audit.text).not.toContain('ptci_');
    // The mailbox's owner receives it, and only they can make the account.
    const token =
      linkIn(await sink.waitFor(victim))
        .split('/')
        .pop() ?? '';
    expect(stack.seen.join('\n')).not.toContain(token);
    const accepted = await stack.call<{ user: { email: string } }>(
      'POST',
      `/invitations/${token}/accept`,
      undefined,
      {
        name: 'Real Owner',
        password: 'real-owner-password-1',
      },
    );
    expect(accepted.status, accepted.text).toBe(200);
    expect(accepted.body.user.email).toBe(victim);
  });

  it('SMTP_URL without PORTCULLIS_MASTER_KEY refuses to start with a clear message', async () => {
    const { code, output } = await runToExit({
      DATABASE_URL: databaseUrl(stack.db),
      SMTP_URL: 'smtp://127.0.0.1:2525',
      PORT: '0',
    });
    expect(code).not.toBe(0);
    expect(output).toContain('setting SMTP_URL needs PORTCULLIS_MASTER_KEY');
  });
});
