/** A gateway's answer to a chat call: its status and headers, the JSON body, and the error it names. */
export interface ChatAnswer<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
  /** `error.code` and `error.message` of a refusal; null on success. */
  code: string | null;
  message: string | null;
}

/** One `/v1/chat/completions` call at the gateway `url` as `secret` (Bearer), read to the end. */
export async function chatAt<T = unknown>(
  url: string,
  secret: string,
  body: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<ChatAnswer<T>> {
  const res = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  const json = (await res.json()) as T & { error?: { code?: string; message?: string } };
  return {
    status: res.status,
    headers: res.headers,
    body: json,
    code: json.error?.code ?? null,
    message: json.error?.message ?? null,
  };
}

/** Reads an Anthropic SDK message stream to its end: the text of its `text` events and the final message. */
export async function readMessageStream<M>(stream: {
  on(event: 'text', listener: (text: string) => void): unknown;
  finalMessage(): Promise<M>;
}): Promise<{ text: string; final: M }> {
  let text = '';
  stream.on('text', (t) => {
    text += t;
  });
  const final = await stream.finalMessage();
  return { text, final };
}

/**
 * An MCP `initialize` request to `/mcp/<server>` at the gateway `url` as `secret` (Bearer); the body is
 * left to the caller.
 */
export function mcpInitializeAt(url: string, server: string, secret: string): Promise<Response> {
  return fetch(`${url}/mcp/${server}`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${secret}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: {
        protocolVersion: '2025-06-18',
        capabilities: {},
        clientInfo: { name: 'probe', version: '1' },
      },
    }),
  });
}
