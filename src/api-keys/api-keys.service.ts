import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { ConflictProblem, NotFoundProblem } from '../common/http/index.js';
import { withoutEmpty } from '../common/http/without-empty.js';
import { encodeCursor, toPage, type Page } from '../common/pagination/keyset-cursor.js';
import { ApiKeyFormat, displayPartsOf, hashApiKey } from './api-key-format.js';
import { API_KEY_POLICIES } from './api-keys.constants.js';
import { API_KEYS_OPTIONS } from './api-keys.module-definition.js';
import type { ApiKeysModuleOptions } from './api-keys.options.js';
import { ApiKeysRepository, type ApiKeyRow, type VerifiedRow } from './api-keys.repository.js';
import type { ApiKeyDto, IssuedApiKey } from './api-keys.schemas.js';
import { RevocationBus } from './internal/revocation-bus.js';

/** Who a verified key is: what the edge counts requests by, and the limits it overrides. */
export interface ApiKeyIdentity {
  id: number;
  name: string;
  /** Per-policy limits for this key (`default`, `auth`, `search`); a missing one: the policy's own. */
  limits: Partial<Record<string, number>>;
}

export interface IssueApiKeyInput {
  name: string;
  limits?: Partial<Record<string, number>>;
  expiresAt?: Date;
}

/** What an instance remembers about a (well-formed, correctly tagged) key: yes with whom, or no. */
interface Known {
  identity?: ApiKeyIdentity;
  /** Epoch ms; a cached yes turns into no at this moment. */
  expiresAt?: number;
}

/** Counters for operators: how verifications were answered. */
export interface ApiKeyVerifyStats {
  /** Malformed, or the tag is wrong: refused with no lookup. */
  refusedByTag: number;
  /** Answered from memory. */
  fromMemory: number;
  /** Database lookups (misses; concurrent ones for a key share one). */
  lookups: number;
}

/**
 * Registered API keys: issue (the key is shown once and only its SHA-256 is stored), list,
 * revoke, and `verify` for the HTTP edge, which is synchronous whenever the answer is in memory.
 */
@Injectable()
export class ApiKeysService implements OnModuleInit, OnApplicationShutdown {
  readonly stats: ApiKeyVerifyStats = { refusedByTag: 0, fromMemory: 0, lookups: 0 };
  private readonly format: ApiKeyFormat;
  private readonly ttlMs: number;
  /** By tag (see `ApiKeyFormat.verifiedTag`), so that no key is kept in memory. */
  private readonly known: LRUCache<string, Known>;
  private readonly inFlight = new Map<string, Promise<ApiKeyIdentity | undefined>>();
  /** Moves on every revocation seen: a lookup that straddles one answers but does not cache. */
  private generation = 0;
  private readonly bus?: RevocationBus;

  constructor(
    @Inject(API_KEYS_OPTIONS) options: ApiKeysModuleOptions,
    private readonly repository: ApiKeysRepository,
  ) {
    this.format = new ApiKeyFormat(options.secret);
    this.ttlMs = options.cacheTtlMs ?? 10_000;
    this.known = new LRUCache({ max: options.cacheMaxEntries ?? 10_000, ttl: this.ttlMs });
    if (options.bus)
      this.bus = new RevocationBus(options.bus.redis, options.bus.channel, {
        onRevoked: (id) => this.forget(id),
        onResync: () => this.forgetAll(),
      });
  }

  async onModuleInit(): Promise<void> {
    // Bounded: with Redis down the app starts, and revocations spread by the TTL alone.
    await this.bus?.ready();
  }

  onApplicationShutdown(): void {
    this.bus?.close();
  }

  /**
   * Who `rawKey` belongs to, or undefined: malformed, forged, unknown, revoked or expired.
   * Synchronous when the answer needs no lookup: a wrong tag (no database, no Redis: a flood of
   * made-up keys costs one HMAC each), or a key answered within `cacheTtlMs` (yes or no).
   * Otherwise one indexed query on the primary, shared by concurrent calls for the same key.
   * @throws (the promise) ServiceUnavailableException when the database is unavailable; nothing is cached then.
   */
  verify(rawKey: string): ApiKeyIdentity | undefined | Promise<ApiKeyIdentity | undefined> {
    const tag = this.format.verifiedTag(rawKey);
    if (tag === undefined) {
      this.stats.refusedByTag++;
      return undefined;
    }
    const known = this.known.get(tag);
    if (known) {
      this.stats.fromMemory++;
      return liveIdentity(known);
    }
    return this.inFlight.get(tag) ?? this.lookUp(tag, rawKey);
  }

  /** A new key. The returned `key` is the only copy: it is never stored, only its SHA-256. */
  async issue({ name, limits, expiresAt }: IssueApiKeyInput): Promise<IssuedApiKey> {
    const key = this.format.generate();
    const overrides = knownLimits(limits);
    let row: ApiKeyRow;
    try {
      row = await this.repository.create({
        name,
        keyHash: hashApiKey(key),
        ...displayPartsOf(key),
        ...(Object.keys(overrides).length ? { limits: overrides as Record<string, number> } : {}),
        ...(expiresAt ? { expiresAt } : {}),
      });
    } catch (error) {
      if ((error as { code?: string }).code === 'P2002')
        throw new ConflictProblem(`An active API key named "${name}" exists; revoke it first or choose another name.`);
      throw error;
    }
    const { status: _status, revokedAt: _revokedAt, ...dto } = toDto(row);
    return { ...dto, key };
  }

  /** Keys newest first, revoked and expired ones included (with their status); never a key or hash. */
  async list({ limit = 100, cursor }: { limit?: number; cursor?: number } = {}): Promise<Page<ApiKeyDto>> {
    const rows = await this.repository.page(limit, cursor);
    return toPage(rows.map(toDto), rows.length === limit ? encodeCursor([rows[rows.length - 1].id]) : undefined);
  }

  /**
   * Revokes key `id` for good (again: no change). This instance refuses it at once; the others on
   * the bus message, or within `cacheTtlMs` when it is lost. @throws NotFoundProblem for an unknown id
   */
  async revoke(id: number): Promise<void> {
    if (!(await this.repository.revoke(id, new Date()))) throw new NotFoundProblem(`There is no API key ${id}.`);
    this.forget(id);
    // Also when it was revoked before: a repeat is how an operator resends a lost announcement.
    await this.bus?.publishRevoked(id);
  }

  private lookUp(tag: string, rawKey: string): Promise<ApiKeyIdentity | undefined> {
    this.stats.lookups++;
    const generation = this.generation;
    const lookup: Promise<ApiKeyIdentity | undefined> = this.repository
      .findByHash(hashApiKey(rawKey))
      .then((row) => {
        const known = knownFrom(row);
        if (generation === this.generation) this.known.set(tag, known, { ttl: this.ttlOf(known) });
        return liveIdentity(known);
      })
      .finally(() => {
        if (this.inFlight.get(tag) === lookup) this.inFlight.delete(tag);
      });
    this.inFlight.set(tag, lookup);
    return lookup;
  }

  /** A yes is cached no longer than the key lives. A no is cached as long as a yes: it never turns into one. */
  private ttlOf(known: Known): number {
    return known.expiresAt === undefined ? this.ttlMs : Math.max(1, Math.min(this.ttlMs, known.expiresAt - Date.now()));
  }

  private forget(id: number): void {
    this.generation++;
    this.inFlight.clear();
    const tags: string[] = [];
    for (const [tag, known] of this.known.entries()) if (known.identity?.id === id) tags.push(tag);
    for (const tag of tags) this.known.delete(tag);
  }

  private forgetAll(): void {
    this.generation++;
    this.inFlight.clear();
    this.known.clear();
  }
}

function knownFrom(row: VerifiedRow | null): Known {
  if (!row || row.revokedAt || (row.expiresAt && row.expiresAt.getTime() <= Date.now())) return {};
  const identity = Object.freeze({ id: row.id, name: row.name, limits: Object.freeze(knownLimits(row.limits)) });
  return { identity, expiresAt: row.expiresAt?.getTime() };
}

function liveIdentity(known: Known): ApiKeyIdentity | undefined {
  return known.expiresAt === undefined || known.expiresAt > Date.now() ? known.identity : undefined;
}

/** Positive integer limits of known policies only: a hand-edited row must not reach the limiter as junk. */
function knownLimits(value: unknown): Partial<Record<string, number>> {
  const limits: Partial<Record<string, number>> = {};
  if (!value || typeof value !== 'object' || Array.isArray(value)) return limits;
  for (const policy of API_KEY_POLICIES) {
    const limit = (value as Record<string, unknown>)[policy];
    if (Number.isSafeInteger(limit) && (limit as number) > 0) limits[policy] = limit as number;
  }
  return limits;
}

function toDto(row: ApiKeyRow): ApiKeyDto {
  const expired = row.expiresAt !== null && row.expiresAt.getTime() <= Date.now();
  return withoutEmpty<ApiKeyDto>({
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    last4: row.last4,
    limits: knownLimits(row.limits),
    status: row.revokedAt ? 'revoked' : expired ? 'expired' : 'active',
    createdAt: row.createdAt.toISOString(),
    expiresAt: row.expiresAt?.toISOString(),
    revokedAt: row.revokedAt?.toISOString(),
  });
}
