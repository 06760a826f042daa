import { rm } from "node:fs/promises";
import { join } from "node:path";
import { image, layer, pushManifest, startRedisServer, startRegistryProcess } from "@regsweep/testbed";
import { Redis } from "ioredis";
import { describe, expect, it } from "vitest";
import { pathFor } from "../storage/storage-paths.js";
import { RedisDescriptorEvictor } from "./descriptor-cache-evictor.js";

const head = async (url: string) => (await fetch(url, { method: "HEAD" })).status;

describe("the registry's redis blob descriptor cache (real 2.8.2 registry, real redis-server)", () => {
  it("answers 'exists' for a blob removed from the storage until regsweep evicts it", async () => {
    await using redis = await startRedisServer();
    await using registry = await startRegistryProcess({
      version: "2.8.2",
      blobDescriptorCache: { redis: redis.addr },
    });
    const shared = layer(`evict-${Date.now()}`);
    await pushManifest(registry, "team/app", image({ layers: [shared] }), "v1");
    const blobUrl = `${registry.url}/v2/team/app/blobs/${shared.digest}`;
    expect(await head(blobUrl)).toBe(200);

    // The keys are where redis.go puts them.
    const client = new Redis({ port: redis.port, lazyConnect: true });
    await client.connect();
    try {
      expect(await client.exists(`blobs::${shared.digest}`)).toBe(1);
      expect(await client.sismember("repository::team/app::blobs", shared.digest)).toBe(1);
    } finally {
      client.disconnect();
    }

    // A collector removes the blob data (and the repository's layer link): the cache still says 200.
    await rm(join(registry.storageRoot, pathFor({ kind: "blob-data", digest: shared.digest })));
    await rm(
      join(
        registry.storageRoot,
        pathFor({ kind: "layer-link", repository: "team/app", digest: shared.digest }),
      ),
    );
    expect(await head(blobUrl), "the race: a stale cache answers exists").toBe(200);

    const evictor = new RedisDescriptorEvictor({ host: "127.0.0.1", port: redis.port, db: 0, tls: false });
    try {
      const removed = await evictor.evict([
        { digest: shared.digest },
        { digest: shared.digest, repository: "team/app" },
      ]);
      expect(removed).toBeGreaterThanOrEqual(2);
    } finally {
      await evictor.close();
    }
    expect(await head(blobUrl), "after eviction the registry looks at the storage").toBe(404);
  });

  it("an unreachable redis is a cache.unreachable error, before anything is evicted", async () => {
    const redis = await startRedisServer();
    const port = redis.port;
    await redis.stop();
    const evictor = new RedisDescriptorEvictor({ host: "127.0.0.1", port, db: 0, tls: false });
    await expect(evictor.evict([{ digest: `sha256:${"a".repeat(64)}` }])).rejects.toMatchObject({
      code: "cache.unreachable",
    });
    await evictor.close();
  });
});
