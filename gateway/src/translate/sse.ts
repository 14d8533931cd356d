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
