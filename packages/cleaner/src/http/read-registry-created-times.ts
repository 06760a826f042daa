import type { Digest } from "../model/digest.js";
import type { Inventory } from "../model/inventory.js";
import { readCreatedTimesFrom } from "../retention/created-times.js";
import { fetchManifest } from "./read-registry-inventory.js";
import type { RegistryClient } from "./registry-client.js";

/** Options for reading creation times over HTTP. */
export interface ReadRegistryCreatedTimesOptions {
  /** Config blobs fetched at once (default: the client's concurrency). */
  concurrency?: number;
}

/**
 * Reads a config blob through the client (auth, retries, concurrency). A registry whose storage redirects blob
 * reads (S3 and friends: 307 to a signed URL) is followed without our credentials, as docker does.
 */
async function fetchBlob(
  client: RegistryClient,
  repository: string,
  digest: Digest,
): Promise<Buffer | undefined> {
  const res = await client.request("GET", `/v2/${repository}/blobs/${digest}`, {
    scope: `repository:${repository}:pull`,
    expect: [301, 302, 303, 307, 308, 404],
  });
  if (res.status === 404) return undefined;
  if (res.status >= 300 && res.status < 400) {
    const location = res.headers.location;
    if (!location) return undefined;
    const next = await fetch(new URL(location, client.base), { signal: client.options.signal ?? null });
    return next.ok ? Buffer.from(await next.arrayBuffer()) : undefined;
  }
  return res.body;
}

/**
 * The online counterpart of `readCreatedTimes`: the image creation time (config `created`) of every tagged
 * manifest of an HTTP inventory, GETting each config blob once. An index takes its newest child's; schema1 its
 * top history entry's. What cannot be read has no time: retention rules then keep the tag.
 */
export async function readRegistryCreatedTimes(
  client: RegistryClient,
  inventory: Inventory,
  options: ReadRegistryCreatedTimesOptions = {},
): Promise<Map<Digest, number>> {
  const tagged: Array<[string, Digest]> = inventory.repositories.flatMap((r) =>
    r.tags.flatMap((t): Array<[string, Digest]> => (t.current ? [[r.name, t.current]] : [])),
  );
  // Bounded by the client's limiter on every request; this bounds the pending promises as well.
  const concurrency = options.concurrency ?? client.options.concurrency ?? 16;
  return readCreatedTimesFrom(
    inventory,
    tagged,
    {
      config: (repository, digest) => fetchBlob(client, repository, digest),
      // The inventory keeps no manifest bytes; schema1 carries its time in the manifest itself.
      schema1: async (repository, digest) => (await fetchManifest(client, repository, digest))?.bytes,
    },
    concurrency,
  );
}
