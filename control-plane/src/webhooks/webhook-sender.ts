import http from 'node:http';
import https from 'node:https';
import type { FieldIssue } from '@portcullis/shared/errors';
import { guardedLookup } from '@portcullis/shared/node/guarded-lookup';
import {
  allowedByName,
  checkUpstreamUrl,
  type UpstreamAllowlist,
  type UpstreamUrlCheck,
} from '@portcullis/shared/upstream-url';

/**
 * The SSRF guard for webhook URLs: the provider-URL guard (`checkUpstreamUrl`) on everything but the
 * query string, which receivers commonly use (`?token=`) and which cannot change where we connect.
 */
export function checkWebhookUrl(text: string, allow: UpstreamAllowlist): UpstreamUrlCheck {
  if (/[\s\\]/.test(text)) return { ok: false, reason: 'must not contain spaces or backslashes' };
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { ok: false, reason: 'must be an absolute http(s) URL' };
  }
  if (url.hash !== '') return { ok: false, reason: 'must not have a fragment' };
  const withoutQuery = new URL(url.href);
  withoutQuery.search = '';
  const r = checkUpstreamUrl(withoutQuery.href, allow);
  return r.ok ? { ok: true, url } : r;
}

export function webhookUrlIssue(text: string, allow: UpstreamAllowlist): FieldIssue | null {
  const r = checkWebhookUrl(text, allow);
  return r.ok ? null : { field: 'url', message: r.reason };
}

export interface SendResult {
  statusCode: number | null;
  error: string | null;
  durationMs: number;
}

/** How much of a receiver's answer is read (and thrown away) before the connection is dropped. */
const MAX_ANSWER_BYTES = 64 * 1024;

/**
 * One POST, no redirects (a 3xx is a failure like any non-2xx), bounded by `timeoutMs` from start to
 * the end of the answer. Never throws: the outcome is a status code or an error sentence. The error
 * never carries the request's headers or body (the signature stays out of logs and the database).
 */
export function postWebhook(
  url: URL,
  body: string,
  headers: Record<string, string>,
  opts: { timeoutMs: number; allowlist: UpstreamAllowlist },
): Promise<SendResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  // A host the operator allowlisted by name may resolve to whatever it likes.
  const byName = allowedByName(url, opts.allowlist);
  return new Promise((resolve) => {
    let settled = false;
    const finish = (statusCode: number | null, error: string | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ statusCode, error, durationMs: elapsed() });
    };
    const client = url.protocol === 'https:' ? https : http;
    const req = client.request(url, {
      method: 'POST',
      headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
      agent: false,
      ...(byName ? {} : { lookup: guardedLookup(opts.allowlist) }),
    });
    const timer = setTimeout(() => {
      finish(null, `timed out after ${opts.timeoutMs} ms`);
      req.destroy();
    }, opts.timeoutMs);
    req.on('error', (err: NodeJS.ErrnoException) =>
      finish(null, err.message || err.code || 'request failed'),
    );
    req.on('response', (res) => {
      let read = 0;
      res.on('data', (chunk: Buffer) => {
        read += chunk.length;
        if (read > MAX_ANSWER_BYTES) {
          res.destroy();
          finish(res.statusCode ?? null, answerError(res.statusCode));
        }
      });
      res.on('end', () => finish(res.statusCode ?? null, answerError(res.statusCode)));
      res.on('error', () => finish(res.statusCode ?? null, answerError(res.statusCode)));
    });
    req.end(body);
  });
}

const answerError = (status: number | undefined): string | null =>
  status !== undefined && status >= 200 && status < 300 ? null : `the receiver answered ${status ?? '?'}`;
