/**
 * Waits for `p` at most `ms`: resolves with its value, or with `undefined` when it takes longer or
 * fails. For shutdown paths, where a dependency that is down (Redis) must not keep the process alive.
 */
export function settleWithin<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<undefined>((r) => {
    timer = setTimeout(() => r(undefined), ms);
  });
  return Promise.race([p.catch(() => undefined), deadline]).finally(() => clearTimeout(timer));
}
