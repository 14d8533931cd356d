import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CreateWebhookSchema, signWebhook, verifyWebhookSignature, webhookSecretPreview } from './webhooks';

const secret = 'whsec_0123456789abcdefghijklmnopqrstuvwxyzABCDEFG';
const body = '{"id":"d1","type":"webhook.test","createdAt":"2026-01-01T00:00:00.000Z","data":{}}';
const t = 1_767_225_600;

describe('signWebhook', () => {
  it('is t=<seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>', () => {
    const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
    expect(signWebhook(secret, body, t)).toBe(`t=${t},v1=${expected}`);
  });
  it('signs bytes and the same string alike', () => {
    expect(signWebhook(secret, Buffer.from(body), t)).toBe(signWebhook(secret, body, t));
  });
});

describe('verifyWebhookSignature', () => {
  const header = signWebhook(secret, body, t);

  it('accepts a fresh, untouched delivery', () => {
    expect(verifyWebhookSignature(secret, header, body, t + 10)).toEqual({ ok: true, timestamp: t });
    expect(verifyWebhookSignature(secret, header, Buffer.from(body), t - 10).ok).toBe(true);
  });

  it('refuses a changed body, a wrong secret or a moved timestamp', () => {
    expect(verifyWebhookSignature(secret, header, body.replace('d1', 'd2'), t)).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
    expect(verifyWebhookSignature(`${secret}x`, header, body, t).ok).toBe(false);
    const moved = header.replace(`t=${t}`, `t=${t + 1}`);
    expect(verifyWebhookSignature(secret, moved, body, t)).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('refuses timestamps outside the tolerance, on either side', () => {
    expect(verifyWebhookSignature(secret, header, body, t + 301)).toEqual({ ok: false, reason: 'too_old' });
    expect(verifyWebhookSignature(secret, header, body, t + 300).ok).toBe(true);
    expect(verifyWebhookSignature(secret, header, body, t - 301)).toEqual({ ok: false, reason: 'too_new' });
    expect(verifyWebhookSignature(secret, header, body, t + 30, 10)).toEqual({
      ok: false,
      reason: 'too_old',
    });
  });

  it('accepts any matching v1 (secret rollover) and ignores unknown schemes', () => {
    const other = signWebhook('whsec_other', body, t).split(',')[1];
    const v1 = header.split(',')[1];
    expect(verifyWebhookSignature(secret, `t=${t},${other},v0=zz,${v1}`, body, t).ok).toBe(true);
  });

  it('calls malformed headers malformed', () => {
    for (const bad of [undefined, null, '', 'garbage', `t=${t}`, 'v1=abc', `t=x,v1=${'0'.repeat(64)}`]) {
      expect(verifyWebhookSignature(secret, bad, body, t)).toEqual({ ok: false, reason: 'malformed' });
    }
    expect(verifyWebhookSignature(secret, `t=${t},t=${t},${header.split(',')[1]}`, body, t).ok).toBe(false);
  });
});

describe('CreateWebhookSchema', () => {
  it('takes a URL, an optional description and a subset of event types', () => {
    expect(CreateWebhookSchema.parse({ url: 'https://hooks.example.com/x' })).toEqual({
      url: 'https://hooks.example.com/x',
    });
    expect(
      CreateWebhookSchema.parse({
        url: ' https://a.example/ ',
        description: ' d ',
        events: ['webhook.test'],
      }),
    ).toEqual({ url: 'https://a.example/', description: 'd', events: ['webhook.test'] });
  });
  it('names each bad field', () => {
    const r = CreateWebhookSchema.safeParse({ url: 'ftp://x', events: ['nope'], extra: 1 });
    expect(r.success).toBe(false);
    const paths = r.error?.issues.map((i) => i.path.join('.') || i.code);
    expect(paths).toEqual(expect.arrayContaining(['url', 'events.0']));
    expect(CreateWebhookSchema.safeParse({ url: 'https://a.example', events: [] }).success).toBe(false);
    expect(
      CreateWebhookSchema.safeParse({ url: 'https://a.example', events: ['webhook.test', 'webhook.test'] })
        .success,
    ).toBe(false);
    expect(CreateWebhookSchema.safeParse({ url: `https://a.example/${'x'.repeat(2048)}` }).success).toBe(
      false,
    );
  });
});

describe('webhookSecretPreview', () => {
  it('shows the prefix and the last four characters only', () => {
    expect(webhookSecretPreview(secret)).toBe('whsec_…DEFG');
  });
});
