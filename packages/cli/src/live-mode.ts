import { readFile } from "node:fs/promises";
import {
  type BlobDescriptorCache,
  type DescriptorCacheEvictor,
  type LiveOptions,
  noCacheEvictor,
  type Plan,
  parseDuration,
  RedisDescriptorEvictor,
  readBlobDescriptorCache,
  StaleCacheError,
} from "@regsweep/cleaner";
import type { ServingRegistry } from "./registry-serving-probe.js";

/** How long a manifest put may take from checking its blobs to writing its links, unless `--settle` says. */
export const DEFAULT_SETTLE = "30s";

/** The flags of live mode. */
export interface LiveFlags {
  live?: boolean;
  settle?: string;
  allowStaleCache?: boolean;
  config?: string;
}

/** One line on what live mode guarantees, printed whenever it runs. */
export function liveModeLine(serving: ServingRegistry[], settle: string): string {
  const who = serving.length > 0 ? `registry pid ${serving.map((s) => s.pid).join(", ")}` : "a registry";
  return `live mode beside ${who}: what is pushed meanwhile is kept (re-checked before each batch, each deletion held back ${settle} and checked again); a push that reuses a deleted blob after that fails and retries, nothing it was told is stored is lost`;
}

/** The registry's blob descriptor cache: from `--config` (with a serving registry's environment), else the serving process's own. */
export async function registryCache(
  flags: LiveFlags,
  serving: ServingRegistry[],
): Promise<BlobDescriptorCache> {
  const env = serving.find((s) => s.env)?.env ?? {};
  if (flags.config) {
    const text = await readFile(flags.config, "utf8").catch(() => undefined);
    if (text !== undefined) return readBlobDescriptorCache(text, env);
  }
  const seen = serving.find((s) => s.configText !== undefined || s.env !== undefined);
  if (seen) return readBlobDescriptorCache(seen.configText, seen.env ?? {});
  return {
    kind: "unknown",
    why:
      serving.length > 0
        ? `cannot read the config of registry pid ${serving[0]?.pid} (a container?)`
        : "no registry config given and none found serving this tree on this host",
  };
}

/** What a live plan removes that a blob descriptor cache knows about (revisions, layer links, blobs). */
function touchesCache(plan: Plan): boolean {
  return plan.actions.some((a) => a.type === "revision" || a.type === "layer-link" || a.type === "blob");
}

/**
 * The library's live options for this run, with a connected evictor for a redis cache; refuses (cache.stale)
 * where the registry keeps a cache that would go on answering "exists" for what is deleted.
 */
export async function liveOptions(
  plan: Plan,
  flags: LiveFlags,
  serving: ServingRegistry[],
): Promise<{ live: LiveOptions; cache: BlobDescriptorCache; close(): Promise<void> }> {
  const settleMs = parseDuration(flags.settle ?? DEFAULT_SETTLE);
  const cache = await registryCache(flags, serving);
  let evictor: DescriptorCacheEvictor = noCacheEvictor;
  if (cache.kind === "redis") {
    const redis = new RedisDescriptorEvictor(cache.redis);
    await redis.connect();
    evictor = redis;
  } else if (
    (cache.kind === "inmemory" || cache.kind === "unknown") &&
    touchesCache(plan) &&
    !flags.allowStaleCache
  ) {
    throw new StaleCacheError(
      cache.kind,
      cache.kind === "inmemory"
        ? "the registry keeps an in-memory blob descriptor cache (storage.cache.blobdescriptor: inmemory): after a live deletion it would go on answering 'exists' for deleted blobs, and pushes that trust it lose layers"
        : `cannot tell whether the registry keeps a blob descriptor cache: ${cache.why}`,
    );
  }
  return { live: { settleMs, evictor }, cache, close: () => evictor.close() };
}
