import { clientAddressBlock } from '@portcullis/shared/cidr';

// The guards in front of argon2 (authenticate.ts). They run only when a presented secret is not in the
// verification caches, so none of this is on the path of a key the process has already verified.

/**
 * Who a failed key check is charged to: an IPv4 address, or the /64 of an IPv6 address (whoever has one
 * address of a /64 usually has all of it). Unknown and unparsable addresses share one bucket each. The
 * control plane's sign-in throttle counts by the same rule.
 */
export const addressBucket = clientAddressBlock;

/** Where counts go once a table is full: new names share it, so filling the table resets nobody. */
export const OVERFLOW = '*';

/**
 * Counts per name in fixed one-minute windows, in at most `maxEntries` names. A full table is never
 * cleared early (that would let whoever fills it reset everybody's count); names it cannot hold share
 * the `OVERFLOW` count instead.
 */
export class MinuteCounter {
  readonly #counts = new Map<string, number>();
  #minute = 0;
  constructor(readonly maxEntries: number) {}

  #roll(now: number): void {
    const minute = Math.floor(now / 60_000);
    if (minute !== this.#minute) {
      this.#minute = minute;
      this.#counts.clear();
    }
  }

  #slot(name: string): string {
    return this.#counts.has(name) || this.#counts.size < this.maxEntries ? name : OVERFLOW;
  }

  get(name: string, now: number): number {
    this.#roll(now);
    return this.#counts.get(this.#slot(name)) ?? 0;
  }

  add(name: string, delta: number, now: number): void {
    this.#roll(now);
    const slot = this.#slot(name);
    const next = (this.#counts.get(slot) ?? 0) + delta;
    if (next > 0) this.#counts.set(slot, next);
    else this.#counts.delete(slot);
  }

  /** Seconds until the window rolls over. */
  static retryAfter(now: number): number {
    return 60 - Math.floor((now % 60_000) / 1000);
  }
}

/**
 * Unproven secrets per key id: `limit` attempts per minute, then one more per `reserveIntervalMs` (the
 * reserve that lets the key's real holder in from a process that has not seen the secret yet).
 * An attempt counts from its start, so a parallel burst cannot slip in before the first failures land.
 */
export class KeyIdThrottle {
  readonly #attempts: MinuteCounter;
  readonly #reserveAt = new Map<string, number>();
  constructor(
    readonly limit: number,
    readonly reserveIntervalMs: number,
    maxEntries: number,
  ) {
    this.#attempts = new MinuteCounter(maxEntries);
  }

  /** Admits one attempt (counting it) and returns 0, or returns the seconds to wait before the next. */
  admit(keyId: string, now: number): number {
    const attempts = this.#attempts.get(keyId, now);
    if (attempts < this.limit) {
      this.#attempts.add(keyId, 1, now);
      if (attempts + 1 === this.limit) this.#setReserve(keyId, now + this.reserveIntervalMs);
      return 0;
    }
    const at = this.#reserveAt.get(keyId) ?? now + this.reserveIntervalMs;
    if (now >= at) {
      this.#attempts.add(keyId, 1, now);
      this.#setReserve(keyId, now + this.reserveIntervalMs);
      return 0;
    }
    if (!this.#reserveAt.has(keyId)) this.#setReserve(keyId, at);
    return Math.max(1, Math.ceil((at - now) / 1000));
  }

  /** The attempt proved the secret: it no longer counts against the key id. */
  succeeded(keyId: string, now: number): void {
    this.#attempts.add(keyId, -1, now);
  }

  #setReserve(keyId: string, at: number): void {
    // Bounded like the counts: past the cap, old reserve times go (the count still refuses).
    if (this.#reserveAt.size >= this.#attempts.maxEntries && !this.#reserveAt.has(keyId))
      this.#reserveAt.delete(this.#reserveAt.keys().next().value as string);
    this.#reserveAt.set(keyId, at);
  }
}

/**
 * Unproven secrets per second for the whole process: what bounds the argon2 CPU a flood spread over
 * many addresses and key ids can take (each failed verification costs tens of ms of a core). Attempts
 * count from their start; one that proves right is given back, so a burst of real keys seen for the
 * first time (a restart) is bounded only by the semaphore.
 */
export class SecondBudget {
  #second = 0;
  #used = 0;
  constructor(readonly limit: number) {}

  #roll(now: number): number {
    const second = Math.floor(now / 1000);
    if (second !== this.#second) {
      this.#second = second;
      this.#used = 0;
    }
    return second;
  }

  spent(now: number): boolean {
    this.#roll(now);
    return this.#used >= this.limit;
  }

  /** Takes one attempt and returns its second, or null when this second's budget is spent. */
  take(now: number): number | null {
    const second = this.#roll(now);
    if (this.#used >= this.limit) return null;
    this.#used++;
    return second;
  }

  /** Gives back an attempt taken in `second` (nothing once that second is over). */
  giveBack(second: number, now: number): void {
    if (this.#roll(now) === second && this.#used > 0) this.#used--;
  }
}

/**
 * A semaphore for argon2 verifications: at most `concurrency` run at once, at most `queue` wait; beyond
 * that `run` refuses at once (returns null) instead of piling up memory-hard work.
 */
export class VerifyGate {
  #active = 0;
  readonly #waiting: (() => void)[] = [];
  constructor(
    readonly concurrency: number,
    readonly queue: number,
  ) {}

  get full(): boolean {
    return this.#active >= this.concurrency && this.#waiting.length >= this.queue;
  }

  get active(): number {
    return this.#active;
  }

  get waiting(): number {
    return this.#waiting.length;
  }

  /** Runs `task` when a slot is free; null (nothing run) when the queue is full too. */
  run<T>(task: () => Promise<T>): Promise<T> | null {
    if (this.#active < this.concurrency) {
      this.#active++;
      return this.#finally(task);
    }
    if (this.#waiting.length >= this.queue) return null;
    return new Promise<void>((resolve) => this.#waiting.push(resolve)).then(() => this.#finally(task));
  }

  async #finally<T>(task: () => Promise<T>): Promise<T> {
    try {
      return await task();
    } finally {
      // The slot passes straight to the next waiter (active stays the same), or is freed.
      const next = this.#waiting.shift();
      if (next) next();
      else this.#active--;
    }
  }
}
