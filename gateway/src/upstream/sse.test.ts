import { describe, expect, it } from 'vitest';
import { newUsage } from '../providers/usage.js';
import { SseUsageReader } from './sse.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

const chunk = (content: string, withNull: boolean) =>
  `data: {"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"${content}"},"finish_reason":null}]${withNull ? ',"usage":null' : ''}}\n\n`;
const USAGE =
  'data: {"id":"c1","object":"chat.completion.chunk","choices":[],"usage":{"prompt_tokens":9,"completion_tokens":3}}\n\n';
const DONE = 'data: [DONE]\n\n';

/** The stream OpenAI sends when asked for usage, and the one it sends when not. */
const asked = `${chunk('héllo', true)}${chunk(' wörld', true)}${chunk('!', true)}${USAGE}${DONE}`;
const plain = `${chunk('héllo', false)}${chunk(' wörld', false)}${chunk('!', false)}${DONE}`;

/** Feeds `bytes` in pieces cut at `cuts` and returns what the client receives. */
function run(bytes: Uint8Array, cuts: number[], hide: boolean) {
  const acc = newUsage();
  const reader = new SseUsageReader(acc, hide);
  const out: Uint8Array[] = [];
  let at = 0;
  for (const cut of [...cuts, bytes.byteLength]) {
    const pass = reader.push(bytes.subarray(at, cut));
    if (pass) out.push(pass);
    at = cut;
  }
  const rest = reader.end();
  if (rest) out.push(rest);
  return { text: dec.decode(Buffer.concat(out)), acc, reader };
}

describe('SseUsageReader', () => {
  it('hiding: the client gets exactly the stream it would have had without include_usage, however it is cut', () => {
    const bytes = enc.encode(asked);
    // Whole events, every byte (cutting é and ö in half), and a few odd places.
    const cutsList = [
      [],
      Array.from({ length: bytes.byteLength - 1 }, (_, i) => i + 1),
      [3, 40, 41, 200, 201, bytes.byteLength - 20],
    ];
    for (const cuts of cutsList) {
      const { text, acc } = run(bytes, cuts, true);
      expect(text).toBe(plain);
      expect(acc).toMatchObject({ inputTokens: 9, outputTokens: 3, outputReported: true, chunks: 3 });
    }
  });

  it('not hiding: every chunk passes as it came, and usage is read', () => {
    const bytes = enc.encode(asked);
    const { text, acc } = run(bytes, [100, 101, 300], false);
    expect(text).toBe(asked);
    expect(acc).toMatchObject({ inputTokens: 9, outputTokens: 3 });
  });

  it('CRLF line ends and a last line without its newline are kept', () => {
    const crlf = `${asked.replace(/\n/g, '\r\n')}data: tail`;
    const { text } = run(enc.encode(crlf), [50], true);
    expect(text).toBe(`${plain.replace(/\n/g, '\r\n')}data: tail`);
  });

  it('estimates a stream without usage by its deltas, one of no known shape by its size', () => {
    expect(run(enc.encode(plain), [], false).reader.outputEstimate()).toBe(3);
    expect(run(enc.encode('data: {"text":"abcdefgh"}\n\n'), [], false).reader.outputEstimate()).toBe(7);
  });
});
