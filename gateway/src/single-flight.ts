/**
 * Runs an async task one at a time: a call while it runs shares that run's promise and has the task run
 * once more after it, so what changed meanwhile is handled without waiting for the next call.
 */
export class SingleFlight {
  readonly #task: () => Promise<void>;
  readonly #onError: ((err: unknown) => void) | null;
  readonly #more: () => boolean;
  #running: Promise<void> | null = null;
  /** Run the task once more when this run ends (the task may set it too). */
  again = false;

  /**
   * `onError`: a failed run ends the loop and is handed here (without it, `run()` rejects);
   * `more`: checked before each further run.
   */
  constructor(
    task: () => Promise<void>,
    opts: { onError?: (err: unknown) => void; more?: () => boolean } = {},
  ) {
    this.#task = task;
    this.#onError = opts.onError ?? null;
    this.#more = opts.more ?? (() => true);
  }

  run(): Promise<void> {
    if (this.#running) {
      this.again = true;
      return this.#running;
    }
    this.#running = (async () => {
      try {
        do {
          this.again = false;
          await this.#task();
        } while (this.again && this.#more());
      } catch (err) {
        if (!this.#onError) throw err;
        this.#onError(err);
      } finally {
        this.#running = null;
      }
    })();
    return this.#running;
  }
}
