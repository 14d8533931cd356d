/** Why a snapshot message from Redis was not applied. */
export const IGNORED_REASONS = ['unsigned', 'bad_signature', 'malformed', 'other_org', 'stale'] as const;
export type IgnoredReason = (typeof IGNORED_REASONS)[number];

/** Reasons that mean "not from the control plane" (a stale message is genuine, merely old or replayed). */
const REJECTED: ReadonlySet<IgnoredReason> = new Set(['unsigned', 'bad_signature', 'malformed', 'other_org']);

/**
 * What the gateway reports about whom it trusts (in /readyz): the pinned control-plane key, a key the
 * control plane presented and the gateway refused, and the Redis messages it refused.
 */
export class SyncTrust {
  /** Fingerprint of the pinned control-plane key, null before the first registration. */
  controlPlaneKey: string | null = null;
  /** Fingerprint of a key a registration presented that is not the pinned one (refused). */
  refusedKey: string | null = null;
  readonly #byReason = new Map<IgnoredReason, number>();
  #rejected = 0;
  #last: { reason: IgnoredReason; at: string } | null = null;

  /** Counts an ignored message; true when it was refused as not coming from the control plane. */
  count(reason: IgnoredReason): boolean {
    this.#byReason.set(reason, (this.#byReason.get(reason) ?? 0) + 1);
    if (!REJECTED.has(reason)) return false;
    this.#rejected++;
    this.#last = { reason, at: new Date().toISOString() };
    return true;
  }

  get rejectedTotal(): number {
    return this.#rejected;
  }

  /** The /readyz fields. */
  report() {
    const byReason: Record<string, number> = {};
    for (const [reason, n] of this.#byReason) if (REJECTED.has(reason)) byReason[reason] = n;
    return {
      controlPlaneKey: this.controlPlaneKey,
      ...(this.refusedKey ? { refusedControlPlaneKey: this.refusedKey } : {}),
      rejectedMessages: { total: this.#rejected, byReason, last: this.#last },
      staleMessages: this.#byReason.get('stale') ?? 0,
    };
  }
}
