import { describe, expect, it } from 'vitest';
import { loggablePath, readCappedBody } from './proxy';

describe('loggablePath', () => {
  it('hides an invitation token and leaves other paths alone', () => {
    expect(loggablePath('/api/v1/invitations/ptci_secret123/accept')).toBe(
      '/api/v1/invitations/:token/accept',
    );
    expect(loggablePath('/api/v1/orgs/abc/invitations')).toBe('/api/v1/orgs/abc/invitations');
    expect(loggablePath('/api/v1/orgs/abc/keys')).toBe('/api/v1/orgs/abc/keys');
  });
});

describe('readCappedBody', () => {
  const streamOf = (chunks: number[]) =>
    new ReadableStream<Uint8Array>({
      start(controller) {
        for (const n of chunks) controller.enqueue(new Uint8Array(n));
        controller.close();
      },
    });
  const post = (body: ReadableStream<Uint8Array> | string, headers: Record<string, string> = {}) =>
    new Request('http://dash.test/api/v1/x', {
      method: 'POST',
      body,
      headers,
      duplex: 'half',
    } as RequestInit);

  it('refuses a declared length over the limit without reading', async () => {
    let pulled = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++;
        controller.enqueue(new Uint8Array(10));
      },
    });
    expect(await readCappedBody(post(body, { 'content-length': '101' }), 100)).toBeNull();
    expect(pulled).toBeLessThanOrEqual(1);
  });

  it('counts streamed bytes and stops at the first one past the limit', async () => {
    expect(await readCappedBody(post(streamOf([60, 60])), 100)).toBeNull();
    const ok = await readCappedBody(post(streamOf([60, 40])), 100);
    expect(ok?.byteLength).toBe(100);
  });

  it('reads an ordinary body whole', async () => {
    const got = await readCappedBody(post('{"a":1}'), 100);
    expect(new TextDecoder().decode(got ?? new Uint8Array())).toBe('{"a":1}');
  });
});
