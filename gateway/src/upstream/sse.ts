import { DELTA_MARKER, readEventUsage, type UsageAccumulator } from '../providers/usage.js';

/** An SSE line longer than this is passed on unread (no usage event is that long). */
const SSE_LINE_LIMIT = 1024 * 1024;
/** What OpenAI adds to every chunk of a stream that asked for usage. */
const USAGE_NULL_FIELD = ',"usage":null';
const USAGE_NULL_BYTES = Buffer.from(USAGE_NULL_FIELD);
const encoder = new TextEncoder();

/**
 * `bytes` without its `,"usage":null` fields, cut out byte-wise (no text round trip: this runs on every
 * chunk of a hidden-usage stream). JSON strings escape their quotes, so only fields can match.
 */
function stripUsageNull(bytes: Uint8Array): Uint8Array {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = USAGE_NULL_BYTES.byteLength;
  let at = buf.indexOf(USAGE_NULL_BYTES);
  if (at === -1) return bytes;
  let count = 0;
  for (let i = at; i !== -1; i = buf.indexOf(USAGE_NULL_BYTES, i + n)) count++;
  // From Node's buffer pool: a small chunk costs no allocation of its own.
  const out = Buffer.allocUnsafe(buf.byteLength - count * n);
  let from = 0;
  let to = 0;
  while (at !== -1) {
    to += buf.copy(out, to, from, at);
    from = at + n;
    at = buf.indexOf(USAGE_NULL_BYTES, from);
  }
  buf.copy(out, to, from);
  return out;
}

/** `"usage":null` (or `"usage": null`) starting at `at`, just past `"usage`: nothing to read there. */
const usageNullAt = (line: string, at: number) =>
  line.startsWith('":null', at) || line.startsWith('": null', at);

/** The byte offset of text offset `at` when everything from it to the end is ASCII, else -1. */
function asciiTailOffset(text: string, at: number, byteLength: number): number {
  for (let i = at; i < text.length; i++) if (text.charCodeAt(i) > 127) return -1;
  return byteLength - (text.length - at);
}

/**
 * Reads usage from a server-sent-event stream as it passes, chunk by chunk. Only events that hold a
 * usage value are parsed; content deltas are counted by a marker (for an estimate when no usage comes),
 * so a long stream costs a few substring searches per event, not a JSON.parse (OpenAI's `"usage":null`
 * on every chunk is recognized as such without parsing).
 *
 * `hide`: the gateway asked for usage on the client's behalf, so the client must see the stream it would
 * have had without it: the usage-only chunk (`choices: []`) and the `,"usage":null` fields are taken out.
 * Only whole lines are passed on then (a partial line waits for its end, so that a chunk to drop is never
 * half sent); a chunk with nothing to take out passes as it came.
 */
export class SseUsageReader {
  readonly #decoder = new TextDecoder();
  /** The current line so far (when hiding: every byte not yet passed on, from a line start). */
  #line = '';
  /** The blank line that ends a dropped event is dropped too. */
  #dropBlank = false;
  #bytes = 0;
  /** An event of a known usage shape was read. */
  #usageSeen = false;

  constructor(
    private readonly acc: UsageAccumulator,
    private readonly hide: boolean,
  ) {}

  /** Reads one chunk; returns what to pass to the client (the chunk itself, or its rewrite), null for nothing yet. */
  push(chunk: Uint8Array): Uint8Array | null {
    const { acc, hide } = this;
    this.#bytes += chunk.byteLength;
    const carried = this.#line.length > 0;
    const text = this.#line + this.#decoder.decode(chunk, { stream: true });
    let out: string | null = null;
    let kept = 0;
    let usageNull = false;
    /** Where the one `,"usage":null` of this chunk starts in `text` (-1: none, -2: more than one). */
    let nullAt = -1;
    let start = 0;
    let nl = text.indexOf('\n');
    while (nl !== -1) {
      const end = nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
      let edit: string | null = null;
      if (end === start) {
        if (this.#dropBlank) edit = '';
        this.#dropBlank = false;
      } else if (text.startsWith('data:', start)) {
        this.#dropBlank = false;
        const line = text.slice(start, end);
        const u = line.lastIndexOf('"usage');
        if (u !== -1 && !usageNullAt(line, u + 6)) {
          this.#usageSeen = true;
          try {
            if (readEventUsage(JSON.parse(line.slice(5)), acc) && hide) {
              edit = '';
              this.#dropBlank = true;
            }
          } catch {
            // Not JSON: nothing to count.
          }
        } else {
          if (line.includes(DELTA_MARKER)) acc.chunks++;
          if (hide && u !== -1) {
            usageNull = true;
            nullAt = nullAt === -1 && line.startsWith(USAGE_NULL_FIELD, u - 1) ? start + u - 1 : -2;
          }
        }
      } else this.#dropBlank = false;
      if (edit !== null) {
        out = (out ?? '') + text.slice(kept, start) + edit;
        kept = nl + 1;
      }
      start = nl + 1;
      nl = text.indexOf('\n', start);
    }
    if (!hide) {
      this.#line = start === 0 ? text : text.slice(start);
      // A line this long is no usage event: stop keeping it.
      if (this.#line.length > SSE_LINE_LIMIT) this.#line = '';
      return chunk;
    }
    // As it came when nothing was taken out and it ends a line (byte-wise too: no character of the
    // next line begun in it).
    if (out === null && !carried && start === text.length && chunk[chunk.byteLength - 1] === 10) {
      this.#line = '';
      if (!usageNull) return chunk;
      // OpenAI puts the field last (`…],"usage":null}`): when what follows it is ASCII, its byte offset
      // is known from the end, without searching the bytes.
      const at = nullAt >= 0 ? asciiTailOffset(text, nullAt, chunk.byteLength) : -1;
      if (at === -1) return stripUsageNull(chunk);
      const n = USAGE_NULL_BYTES.byteLength;
      const out = Buffer.allocUnsafe(chunk.byteLength - n);
      out.set(chunk.subarray(0, at));
      out.set(chunk.subarray(at + n), at);
      return out;
    }
    let send = (out ?? '') + text.slice(kept, start);
    this.#line = text.slice(start);
    if (this.#line.length > SSE_LINE_LIMIT) {
      send += this.#line;
      this.#line = '';
    }
    if (send.length === 0) return null;
    const bytes = encoder.encode(send);
    return usageNull ? stripUsageNull(bytes) : bytes;
  }

  /** At the end of the stream: what a hiding reader still holds (a last line without its newline). */
  end(): Uint8Array | null {
    if (!this.hide || this.#line.length === 0) return null;
    const rest = encoder.encode(this.#line);
    this.#line = '';
    return rest;
  }

  /** Output tokens when the stream reported none: a token per delta; a stream of no known shape by its size. */
  outputEstimate(): number {
    return this.acc.chunks > 0 || this.#usageSeen ? this.acc.chunks : Math.ceil(this.#bytes / 4);
  }
}
