const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Polls `probe` until it returns something other than undefined, and returns that. A probe that throws
 * is polled again; at the deadline (generous: a limit, not a timing claim) its last error is thrown.
 */
export async function waitFor<T>(
  probe: () => T | undefined | Promise<T | undefined>,
  what = 'condition',
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown = null;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
      last = null;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw last instanceof Error ? last : new Error(`timed out waiting for ${what} (${timeoutMs} ms)`);
    }
    await pause(50);
  }
}

/** Polls `check` until it holds (see `waitFor`); returns how long that took, in ms. */
export async function eventually(
  check: () => boolean | Promise<boolean>,
  timeoutMs = 20_000,
  what = 'condition',
): Promise<number> {
  const started = Date.now();
  await waitFor(async () => ((await check()) ? true : undefined), what, timeoutMs);
  return Date.now() - started;
}
