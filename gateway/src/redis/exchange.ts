import type { ChainableCommander, Redis } from 'ioredis';
import { SingleFlight } from '../single-flight.js';

/** What to do with one command's outcome. */
export interface Reply<T> {
  reply?: (value: T) => void;
  /**
   * The command did not take effect: `command` when Redis refused it alone (the others ran),
   * `exchange` when the whole exchange failed (connection lost, pipeline discarded).
   */
  failed?: (how: 'command' | 'exchange') => void;
}

/**
 * One pipelined round trip to Redis in which every command carries its own reply handler, so replies
 * can never be read against the wrong command. Each method queues exactly one command.
 */
export class RedisExchange {
  readonly #pipeline: ChainableCommander;
  readonly #handlers: Reply<never>[] = [];

  constructor(redis: Redis) {
    if (redis.status !== 'ready') throw new Error('redis not ready');
    this.#pipeline = redis.pipeline();
  }

  /** Commands queued so far. */
  get size(): number {
    return this.#handlers.length;
  }

  get(key: string, h: Reply<string | null> = {}): this {
    this.#pipeline.get(key);
    return this.#queued(h);
  }

  incrby(key: string, n: number, h: Reply<number> = {}): this {
    this.#pipeline.incrby(key, n);
    return this.#queued(h);
  }

  pexpire(key: string, ms: number, h: Reply<number> = {}): this {
    this.#pipeline.pexpire(key, ms);
    return this.#queued(h);
  }

  hset(key: string, field: string, value: string, h: Reply<number> = {}): this {
    this.#pipeline.hset(key, field, value);
    return this.#queued(h);
  }

  hgetall(key: string, h: Reply<Record<string, string>> = {}): this {
    this.#pipeline.hgetall(key);
    return this.#queued(h);
  }

  #queued<T>(h: Reply<T>): this {
    this.#handlers.push(h as Reply<never>);
    return this;
  }

  /** Sends the queued commands (none: no round trip) and hands each reply to its handler. */
  async run(): Promise<void> {
    if (this.#handlers.length === 0) return;
    let results: [Error | null, unknown][] | null;
    try {
      results = await this.#pipeline.exec();
    } catch (err) {
      this.#lost();
      throw err;
    }
    if (!results) {
      this.#lost();
      throw new Error('redis pipeline discarded');
    }
    for (let i = 0; i < results.length; i++) {
      const [err, value] = results[i] as [Error | null, unknown];
      const h = this.#handlers[i];
      if (err) h?.failed?.('command');
      else h?.reply?.(value as never);
    }
  }

  #lost(): void {
    for (const h of this.#handlers) h.failed?.('exchange');
  }
}

/** Runs an exchange every `intervalMs` and on demand (`sync`), one at a time (`SingleFlight`). */
export class ExchangeLoop {
  readonly #flight: SingleFlight;
  readonly #timer: NodeJS.Timeout;

  constructor(exchange: () => Promise<void>, intervalMs: number, onFailure: () => void) {
    this.#flight = new SingleFlight(exchange, { onError: onFailure });
    this.#timer = setInterval(() => void this.sync(), intervalMs);
    this.#timer.unref();
  }

  sync(): Promise<void> {
    return this.#flight.run();
  }

  close(): void {
    clearInterval(this.#timer);
  }
}

/** The loop of a component that shares its counters through `redis`; null without one (it enforces alone). */
export function exchangeLoop<R extends Redis>(
  redis: R | null,
  exchange: (redis: R) => Promise<void>,
  intervalMs: number,
  onFailure: () => void,
): ExchangeLoop | null {
  return redis ? new ExchangeLoop(() => exchange(redis), intervalMs, onFailure) : null;
}
