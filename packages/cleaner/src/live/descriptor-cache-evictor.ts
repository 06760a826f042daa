import { Redis } from "ioredis";
import { DescriptorCacheError } from "../model/errors.js";
import type { RedisEndpoint } from "./blob-descriptor-cache.js";

/** What a live deletion removed, as the registry's cache knows it: a blob, or a repository's link to one. */
export type EvictionEntry = { digest: string; repository?: string };

/** Removes entries from a registry's blob descriptor cache so that it never answers "exists" for them. */
export interface DescriptorCacheEvictor {
  /** Evicts the entries; returns how many keys went. Throws `DescriptorCacheError` if it could not. */
  evict(entries: readonly EvictionEntry[]): Promise<number>;
  close(): Promise<void>;
}

/** For a registry that keeps no cache: nothing to evict. */
export const noCacheEvictor: DescriptorCacheEvictor = {
  evict: async () => 0,
  close: async () => {},
};

/**
 * The redis keys distribution 2.x keeps for an entry (`registry/storage/cache/redis/redis.go`, same layout
 * 2.1 → 2.8): a global hash `blobs::<digest>` (digest, size, mediatype) that every lookup needs, and per
 * repository a set `repository::<name>::blobs` of member digests plus a hash
 * `repository::<name>::blobs::<digest>` (the repository's media type). A repository-scoped lookup checks
 * the set, then reads the global hash: without the global hash no repository sees the blob.
 */
export function redisKeysFor(entry: EvictionEntry): {
  del: string[];
  srem?: { key: string; member: string };
} {
  if (entry.repository === undefined) return { del: [`blobs::${entry.digest}`] };
  return {
    del: [`repository::${entry.repository}::blobs::${entry.digest}`],
    srem: { key: `repository::${entry.repository}::blobs`, member: entry.digest },
  };
}

/** Evicts from the registry's own redis (the `redis:` section of its config). */
export class RedisDescriptorEvictor implements DescriptorCacheEvictor {
  private readonly client: Redis;
  private readonly where: string;

  constructor(endpoint: RedisEndpoint) {
    this.where = `${endpoint.host}:${endpoint.port}/${endpoint.db}`;
    this.client = new Redis({
      host: endpoint.host,
      port: endpoint.port,
      db: endpoint.db,
      ...(endpoint.password ? { password: endpoint.password } : {}),
      ...(endpoint.username ? { username: endpoint.username } : {}),
      ...(endpoint.tls ? { tls: {} } : {}),
      lazyConnect: true,
      // A deletion must not go on as if evicted: fail fast instead of queueing commands for later.
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
      connectTimeout: 5_000,
      retryStrategy: () => null,
    });
    // ioredis also emits connection errors as events; the failed command reports them.
    this.client.on("error", () => {});
  }

  /** Connects now, so that an unreachable redis stops the run before anything is deleted. */
  async connect(): Promise<void> {
    try {
      if (this.client.status === "wait") await this.client.connect();
      await this.client.ping();
    } catch (error) {
      throw new DescriptorCacheError(
        `cannot reach the registry's redis at ${this.where}: ${(error as Error).message}`,
        { cause: error },
      );
    }
  }

  async evict(entries: readonly EvictionEntry[]): Promise<number> {
    if (entries.length === 0) return 0;
    await this.connect();
    const pipeline = this.client.pipeline();
    for (const entry of entries) {
      const keys = redisKeysFor(entry);
      pipeline.del(...keys.del);
      if (keys.srem) pipeline.srem(keys.srem.key, keys.srem.member);
    }
    let results: Array<[Error | null, unknown]> | null;
    try {
      results = await pipeline.exec();
    } catch (error) {
      throw new DescriptorCacheError(`cannot evict from the registry's redis at ${this.where}`, {
        cause: error,
      });
    }
    let removed = 0;
    for (const [error, value] of results ?? []) {
      if (error)
        throw new DescriptorCacheError(
          `the registry's redis at ${this.where} refused an eviction: ${error.message}`,
          { cause: error },
        );
      removed += Number(value) || 0;
    }
    return removed;
  }

  async close(): Promise<void> {
    this.client.disconnect();
  }
}
