import type { ChunkTransform } from '../upstream/relay.js';
import { isObj, type Obj } from './common.js';

/** One server-sent event: its `event:` name (null when none) and its `data:` lines joined. */
export interface SseEvent {
  event: string | null;
  data: string;
}

/**
 * Splits a byte stream into server-sent events as the bytes arrive (chunks may cut lines and UTF-8
 * characters anywhere). Comments, `id:` and `retry:` lines are skipped.
 */
export class SseParser {
  readonly #decoder = new TextDecoder();
  #rest = '';
  #event: string | null = null;
  #data: string[] = [];

  push(chunk: Uint8Array): SseEvent[] {
    return this.#lines(this.#rest + this.#decoder.decode(chunk, { stream: true }), false);
  }

  /** The stream ended: a last event not followed by a blank line still counts. */
  end(): SseEvent[] {
    const events = this.#lines(`${this.#rest}${this.#decoder.decode()}\n\n`, true);
    this.#rest = '';
    return events;
  }

  #lines(text: string, final: boolean): SseEvent[] {
    const events: SseEvent[] = [];
    let start = 0;
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
      const line = text.slice(start, nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl);
      start = nl + 1;
      if (line.length === 0) {
        if (this.#data.length > 0) events.push({ event: this.#event, data: this.#data.join('\n') });
        this.#event = null;
        this.#data = [];
        continue;
      }
      const colon = line.indexOf(':');
      const name = colon === -1 ? line : line.slice(0, colon);
      let value = colon === -1 ? '' : line.slice(colon + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (name === 'data') this.#data.push(value);
      else if (name === 'event') this.#event = value;
    }
    this.#rest = final ? '' : text.slice(start);
    return events;
  }
}

const encoder = new TextEncoder();

/** Collects the events a translator writes for one upstream chunk; `bytes` is null when there are none. */
export class SseWriter {
  #out = '';

  /** `data: <json>` with an `event:` line when named (Anthropic names every event, OpenAI none). */
  event(name: string | null, data: unknown): void {
    this.#out += `${name === null ? '' : `event: ${name}\n`}data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`;
  }

  take(): Uint8Array | null {
    if (this.#out.length === 0) return null;
    const bytes = encoder.encode(this.#out);
    this.#out = '';
    return bytes;
  }
}

/**
 * A stream translator: the upstream's events in, the client format's events out, each written as soon
 * as the event that causes it is complete (never the whole stream held).
 */
export abstract class SseTranslator implements ChunkTransform {
  readonly #parser = new SseParser();
  protected readonly out = new SseWriter();

  push(chunk: Uint8Array): Uint8Array | null {
    for (const event of this.#parser.push(chunk)) this.#data(event.data);
    return this.out.take();
  }

  end(): Uint8Array | null {
    for (const event of this.#parser.end()) this.#data(event.data);
    this.onEnd();
    return this.out.take();
  }

  #data(data: string): void {
    if (data === '[DONE]') {
      this.onDone();
      return;
    }
    let event: unknown;
    try {
      event = JSON.parse(data);
    } catch {
      return;
    }
    if (isObj(event)) this.onEvent(event);
  }

  /** One upstream event's JSON data (events whose data is not a JSON object are skipped). */
  protected abstract onEvent(event: Obj): void;

  /** OpenAI's `data: [DONE]`. */
  protected onDone(): void {}

  /** The upstream stream ended. */
  protected onEnd(): void {}
}
