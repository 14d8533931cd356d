import { compileAllowlist } from '@portcullis/shared/cidr';
import { open, sealedVersion } from '@portcullis/shared/crypto';
import {
  EPHEMERAL_TOKEN_RETENTION_MS,
  type OrgSnapshot,
  type SnapshotChange,
  type SnapshotCredential,
  type SnapshotEphemeralToken,
  type SnapshotKey,
  type SnapshotMcpServer,
  type SnapshotMessage,
  type SnapshotModel,
} from '@portcullis/shared/snapshot';
import { type KeyPolicy, PeopleIndex } from './people.js';

export type SnapshotDelta = Extract<SnapshotMessage, { kind: 'delta' }>;
export type ApplyResult = 'applied' | 'gap' | 'stale';

/** How often the store drops ephemeral tokens past their retention window (checked when changes apply). */
const TOKEN_PRUNE_INTERVAL_MS = 60_000;

const parseExpiry = (iso: string): number => {
  const t = Date.parse(iso);
  return Number.isNaN(t) ? 0 : t;
};

/**
 * One key as the hot path needs it. A new entry is built for every version of the key, so anything
 * derived from it (the compiled IP allowlist) is computed once per key version and never goes stale.
 */
export class KeyEntry {
  #allow: ((ip: string) => boolean) | undefined;
  #policy: KeyPolicy | undefined;
  #policyStamp = -1;
  readonly expiresAtMs: number | null;
  /** `capMs`: an earlier expiry than the key's own (an ephemeral token's view of its parent). */
  constructor(
    readonly key: SnapshotKey,
    private readonly people: PeopleIndex = new PeopleIndex(),
    capMs: number | null = null,
  ) {
    const own = key.expiresAt ? parseExpiry(key.expiresAt) : null;
    this.expiresAtMs = capMs === null ? own : own === null ? capMs : Math.min(own, capMs);
  }
  /**
   * The same key expiring no later than `expiresAtMs`: what an ephemeral token authenticates as. Same
   * record, so state, owner, policy, limits, budgets and usage are the key's.
   */
  delegated(expiresAtMs: number): KeyEntry {
    return new KeyEntry(this.key, this.people, expiresAtMs);
  }
  /**
   * The key's effective policy (shared/policy.ts): the strictest limits of the key, its owner and the
   * owner's groups, the models it may use, every budget that applies. Cached; recomputed only when the
   * owner's stamp moved (their policy, a group of theirs or the settings changed), never per request.
   */
  policy(): KeyPolicy {
    const stamp = this.people.stamp(this.key.ownerId);
    if (this.#policy === undefined || stamp !== this.#policyStamp) {
      this.#policy = this.people.policyOf(this.key);
      this.#policyStamp = stamp;
    }
    return this.#policy;
  }
  /** Null when the key has no allowlist. An entry that does not parse denies everything (fail closed). */
  get allow(): ((ip: string) => boolean) | null {
    if (this.key.ipAllowlist.length === 0) return null;
    if (this.#allow === undefined) {
      try {
        this.#allow = compileAllowlist(this.key.ipAllowlist);
      } catch (err) {
        console.error(
          `gateway: key ${this.key.keyId} has an invalid IP allowlist (${(err as Error).message})`,
        );
        this.#allow = () => false;
      }
    }
    return this.#allow;
  }
}

/**
 * An ephemeral token: its own id and secret hash, and a view of its parent key's entry built once per
 * parent version (a new parent entry arrives with every change of the key).
 */
export class EphemeralTokenEntry {
  readonly expiresAtMs: number;
  #parent: KeyEntry | undefined;
  #view: KeyEntry | undefined;
  constructor(readonly token: SnapshotEphemeralToken) {
    this.expiresAtMs = parseExpiry(token.expiresAt);
  }
  /** The parent's entry as this token acts with it. */
  as(parent: KeyEntry): KeyEntry {
    if (this.#view === undefined || this.#parent !== parent) {
      this.#view = parent.delegated(this.expiresAtMs);
      this.#parent = parent;
    }
    return this.#view;
  }
}

/** The snapshot key of one generation (the version a sealed value names), or null when not held. */
type KeyLookup = (generation: number) => Buffer | null;

/** The key that opens `sealed`: the one of the generation it names. */
const keyFor = (lookup: KeyLookup, sealed: string): Buffer | null => {
  try {
    return lookup(sealedVersion(sealed));
  } catch {
    return null;
  }
};

/** A credential with its provider secret opened lazily, once per credential version. */
export class CredentialEntry {
  #secret: string | undefined;
  constructor(
    readonly credential: SnapshotCredential,
    private readonly snapshotKey: KeyLookup,
  ) {}
  /** The opened secret, or null when it cannot be opened (no snapshot key yet, or tampered). */
  secret(): string | null {
    if (this.#secret !== undefined) return this.#secret;
    const key = keyFor(this.snapshotKey, this.credential.sealedSecret);
    if (!key) return null;
    try {
      this.#secret = open(key, this.credential.sealedSecret, this.credential.id);
      return this.#secret;
    } catch {
      // Never log the sealed value or anything derived from it.
      console.error(
        `gateway: provider credential ${this.credential.id} cannot be opened with the snapshot key`,
      );
      return null;
    }
  }
  /** Drops the opened secret (the snapshot key changed). */
  forget(): void {
    this.#secret = undefined;
  }
}

/** An MCP server with its secret headers opened lazily, once per server version. */
export class McpServerEntry {
  #headers: Record<string, string> | undefined;
  constructor(
    readonly server: SnapshotMcpServer,
    private readonly snapshotKey: KeyLookup,
  ) {}
  /** The secret headers to add upstream ({} when none), or null when they cannot be opened. */
  headers(): Record<string, string> | null {
    if (this.#headers !== undefined) return this.#headers;
    if (this.server.sealedHeaders === null) {
      this.#headers = {};
      return this.#headers;
    }
    const key = keyFor(this.snapshotKey, this.server.sealedHeaders);
    if (!key) return null;
    try {
      const parsed: unknown = JSON.parse(open(key, this.server.sealedHeaders, this.server.id));
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('shape');
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(parsed))
        if (typeof value === 'string') headers[name] = value;
      this.#headers = headers;
      return headers;
    } catch {
      // Never log the sealed value or anything derived from it.
      console.error(`gateway: MCP server ${this.server.id} headers cannot be opened with the snapshot key`);
      return null;
    }
  }
  forget(): void {
    this.#headers = undefined;
  }
}

/**
 * The in-memory index of one organization's snapshot: keys by public key id, models by slug,
 * credentials by id. Versions only move forward.
 */
export class SnapshotStore {
  #orgId: string | null = null;
  #version: number | null = null;
  #generatedAt = '';
  #confirmedAt = 0;
  /** Snapshot keys by generation: the current one, and the one before while values sealed under it remain. */
  readonly #snapshotKeys = new Map<number, Buffer>();
  #snapshotKeyVersion = 0;
  #removed = false;
  readonly #keyLookup: KeyLookup = (generation) => this.#snapshotKeys.get(generation) ?? null;
  readonly keys = new Map<string, KeyEntry>();
  /** Key record id → public key id, for delete_key changes. */
  readonly #keyIdById = new Map<string, string>();
  /** Ephemeral tokens by public token id (keys' id space: a presented credential is one or the other). */
  readonly ephemeralTokens = new Map<string, EphemeralTokenEntry>();
  /** Token record id → public token id, and parent key record id → its tokens' public ids. */
  readonly #tokenIdById = new Map<string, string>();
  readonly #tokensByKey = new Map<string, Set<string>>();
  #nextTokenPruneAt = 0;
  readonly models = new Map<string, SnapshotModel>();
  readonly #modelSlugById = new Map<string, string>();
  readonly credentials = new Map<string, CredentialEntry>();
  /** MCP servers by name (`/mcp/:name`). */
  readonly mcpServers = new Map<string, McpServerEntry>();
  readonly #mcpNameById = new Map<string, string>();
  /** Members, groups and settings (people's policy), for the keys' effective policies. */
  readonly people = new PeopleIndex();
  readonly #listeners = new Set<() => void>();

  get orgId(): string | null {
    return this.#orgId;
  }
  get version(): number | null {
    return this.#version;
  }
  /** When the held version was last confirmed current (applied, or matched by a heartbeat). */
  get confirmedAt(): number {
    return this.#confirmedAt;
  }
  get generatedAt(): string {
    return this.#generatedAt;
  }
  /** The current snapshot key (the newest generation held). */
  get snapshotKey(): Buffer | null {
    return this.#snapshotKeys.get(this.#snapshotKeyVersion) ?? null;
  }
  get snapshotKeyVersion(): number {
    return this.#snapshotKeyVersion;
  }
  /** Whether values sealed under this generation can be opened. */
  hasSnapshotKey(generation: number): boolean {
    return this.#snapshotKeys.has(generation);
  }
  /** The control plane refused this gateway's token: it holds and serves nothing any more. */
  get removed(): boolean {
    return this.#removed;
  }

  /**
   * Adds the snapshot key of one generation (1 for control planes that send none). A newer generation
   * becomes current; the one before it is kept, so what is still sealed under it keeps opening until the
   * resealed values arrive; older ones are dropped.
   */
  setSnapshotKey(key: Buffer, generation = 1): void {
    if (this.#snapshotKeys.get(generation)?.equals(key)) return;
    const replaced = this.#snapshotKeys.has(generation);
    this.#snapshotKeys.set(generation, key);
    if (generation >= this.#snapshotKeyVersion) this.#snapshotKeyVersion = generation;
    for (const g of this.#snapshotKeys.keys())
      if (g < this.#snapshotKeyVersion - 1) this.#snapshotKeys.delete(g);
    if (replaced) {
      for (const c of this.credentials.values()) c.forget();
      for (const m of this.mcpServers.values()) m.forget();
    }
  }

  /** Drops everything held (keys, snapshot, snapshot keys): the gateway answers as not ready. */
  clear(): void {
    this.#reset();
    this.#orgId = null;
    this.#version = null;
    this.#generatedAt = '';
    this.#snapshotKeys.clear();
    this.#snapshotKeyVersion = 0;
    this.#emit();
  }

  /** The gateway was removed: nothing held, and every request is answered 503 gateway_removed. */
  markRemoved(): void {
    this.#removed = true;
    this.clear();
  }

  confirm(version: number): void {
    if (version === this.#version) this.#confirmedAt = Date.now();
  }

  /** A key by its record id (an ephemeral token's parent). */
  keyByRecordId(id: string): KeyEntry | undefined {
    const keyId = this.#keyIdById.get(id);
    return keyId === undefined ? undefined : this.keys.get(keyId);
  }

  /**
   * Drops the ephemeral tokens that expired longer ago than the retention window (until then they are
   * kept, so they are refused as expired rather than unknown). Runs at most once a minute unless forced.
   */
  pruneEphemeralTokens(now = Date.now(), force = false): number {
    if (!force && now < this.#nextTokenPruneAt) return 0;
    this.#nextTokenPruneAt = now + TOKEN_PRUNE_INTERVAL_MS;
    let dropped = 0;
    for (const entry of this.ephemeralTokens.values()) {
      if (entry.expiresAtMs + EPHEMERAL_TOKEN_RETENTION_MS < now) {
        this.#deleteToken(entry.token.id);
        dropped++;
      }
    }
    return dropped;
  }

  /** Called after every applied change (used to persist). */
  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Replaces everything with a full snapshot, unless it is older than (or the same as) what is held. */
  apply(snapshot: OrgSnapshot): ApplyResult {
    if (this.#orgId !== null && snapshot.orgId !== this.#orgId) {
      throw new Error(`snapshot for org ${snapshot.orgId} offered to the store of org ${this.#orgId}`);
    }
    if (this.#removed) return 'stale';
    if (this.#version !== null && snapshot.version <= this.#version) {
      if (snapshot.version === this.#version) this.#confirmedAt = Date.now();
      return 'stale';
    }
    this.#reset();
    this.people.reset(snapshot.people);
    for (const k of snapshot.keys) this.#upsertKey(k);
    for (const c of snapshot.credentials) this.#upsertCredential(c);
    for (const m of snapshot.models) this.#upsertModel(m);
    for (const m of snapshot.mcpServers ?? []) this.#upsertMcpServer(m);
    for (const t of snapshot.ephemeralTokens ?? []) this.#upsertToken(t);
    this.pruneEphemeralTokens(Date.now(), true);
    this.#orgId = snapshot.orgId;
    this.#version = snapshot.version;
    this.#generatedAt = snapshot.generatedAt;
    this.#confirmedAt = Date.now();
    this.#emit();
    return 'applied';
  }

  #reset(): void {
    this.keys.clear();
    this.#keyIdById.clear();
    this.models.clear();
    this.#modelSlugById.clear();
    this.credentials.clear();
    this.mcpServers.clear();
    this.#mcpNameById.clear();
    this.ephemeralTokens.clear();
    this.#tokenIdById.clear();
    this.#tokensByKey.clear();
    this.people.reset(undefined);
  }

  /** Applies a delta only when it starts exactly at the held version. */
  applyDelta(delta: SnapshotDelta): ApplyResult {
    if (this.#version === null || (this.#orgId !== null && delta.orgId !== this.#orgId)) return 'gap';
    if (delta.toVersion <= this.#version) return 'stale';
    if (delta.fromVersion !== this.#version) return 'gap';
    for (const change of delta.changes) this.#applyChange(change);
    this.pruneEphemeralTokens();
    this.#version = delta.toVersion;
    this.#confirmedAt = Date.now();
    this.#emit();
    return 'applied';
  }

  /** The held snapshot in wire format (for the disk cache). */
  toSnapshot(): OrgSnapshot | null {
    if (this.#orgId === null || this.#version === null) return null;
    return {
      orgId: this.#orgId,
      version: this.#version,
      generatedAt: this.#generatedAt,
      keys: [...this.keys.values()].map((e) => e.key),
      credentials: [...this.credentials.values()].map((e) => e.credential),
      models: [...this.models.values()],
      mcpServers: [...this.mcpServers.values()].map((e) => e.server),
      ...(this.people.present ? { people: this.people.toSnapshot() } : {}),
      ephemeralTokens: [...this.ephemeralTokens.values()].map((e) => e.token),
    };
  }

  #emit(): void {
    for (const l of this.#listeners) l();
  }

  #applyChange(change: SnapshotChange): void {
    switch (change.op) {
      case 'upsert_key':
        this.#upsertKey(change.value);
        return;
      case 'delete_key': {
        const keyId = this.#keyIdById.get(change.id);
        if (keyId !== undefined) this.keys.delete(keyId);
        this.#keyIdById.delete(change.id);
        this.#deleteTokensOf(change.id);
        return;
      }
      case 'upsert_ephemeral_token':
        this.#upsertToken(change.value);
        return;
      case 'delete_ephemeral_tokens':
        this.#deleteTokensOf(change.apiKeyId);
        return;
      case 'upsert_credential':
        this.#upsertCredential(change.value);
        return;
      case 'delete_credential':
        this.credentials.delete(change.id);
        return;
      case 'upsert_model':
        this.#upsertModel(change.value);
        return;
      case 'delete_model': {
        const slug = this.#modelSlugById.get(change.id);
        if (slug !== undefined && this.models.get(slug)?.id === change.id) this.models.delete(slug);
        this.#modelSlugById.delete(change.id);
        return;
      }
      case 'upsert_mcp_server':
        this.#upsertMcpServer(change.value);
        return;
      case 'delete_mcp_server': {
        const name = this.#mcpNameById.get(change.id);
        if (name !== undefined && this.mcpServers.get(name)?.server.id === change.id)
          this.mcpServers.delete(name);
        this.#mcpNameById.delete(change.id);
        return;
      }
      case 'upsert_user_policy':
        this.people.upsertUser(change.value);
        return;
      case 'delete_user_policy':
        this.people.deleteUser(change.id);
        return;
      case 'upsert_group':
        this.people.upsertGroup(change.value);
        return;
      case 'delete_group':
        this.people.deleteGroup(change.id);
        return;
      case 'org_settings':
        this.people.setSettings(change.value);
        return;
    }
  }

  #upsertKey(key: SnapshotKey): void {
    const previous = this.#keyIdById.get(key.id);
    if (previous !== undefined && previous !== key.keyId) this.keys.delete(previous);
    this.keys.set(key.keyId, new KeyEntry(key, this.people));
    this.#keyIdById.set(key.id, key.keyId);
  }

  #upsertToken(token: SnapshotEphemeralToken): void {
    this.#deleteToken(token.id);
    this.ephemeralTokens.set(token.tokenId, new EphemeralTokenEntry(token));
    this.#tokenIdById.set(token.id, token.tokenId);
    let ofKey = this.#tokensByKey.get(token.apiKeyId);
    if (ofKey === undefined) {
      ofKey = new Set();
      this.#tokensByKey.set(token.apiKeyId, ofKey);
    }
    ofKey.add(token.tokenId);
  }

  #deleteToken(id: string): void {
    const tokenId = this.#tokenIdById.get(id);
    if (tokenId === undefined) return;
    this.#tokenIdById.delete(id);
    const entry = this.ephemeralTokens.get(tokenId);
    if (entry?.token.id !== id) return;
    this.ephemeralTokens.delete(tokenId);
    const ofKey = this.#tokensByKey.get(entry.token.apiKeyId);
    ofKey?.delete(tokenId);
    if (ofKey?.size === 0) this.#tokensByKey.delete(entry.token.apiKeyId);
  }

  #deleteTokensOf(apiKeyId: string): void {
    const ofKey = this.#tokensByKey.get(apiKeyId);
    if (ofKey === undefined) return;
    for (const tokenId of ofKey) {
      const entry = this.ephemeralTokens.get(tokenId);
      if (entry !== undefined && entry.token.apiKeyId === apiKeyId) {
        this.ephemeralTokens.delete(tokenId);
        this.#tokenIdById.delete(entry.token.id);
      }
    }
    this.#tokensByKey.delete(apiKeyId);
  }

  #upsertCredential(credential: SnapshotCredential): void {
    this.credentials.set(credential.id, new CredentialEntry(credential, this.#keyLookup));
  }

  #upsertMcpServer(server: SnapshotMcpServer): void {
    const previous = this.#mcpNameById.get(server.id);
    if (
      previous !== undefined &&
      previous !== server.name &&
      this.mcpServers.get(previous)?.server.id === server.id
    )
      this.mcpServers.delete(previous);
    this.mcpServers.set(server.name, new McpServerEntry(server, this.#keyLookup));
    this.#mcpNameById.set(server.id, server.name);
  }

  #upsertModel(model: SnapshotModel): void {
    const previous = this.#modelSlugById.get(model.id);
    if (previous !== undefined && previous !== model.slug && this.models.get(previous)?.id === model.id)
      this.models.delete(previous);
    this.models.set(model.slug, model);
    this.#modelSlugById.set(model.id, model.slug);
  }
}
