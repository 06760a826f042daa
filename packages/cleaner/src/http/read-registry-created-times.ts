import type { Digest } from "../model/digest.js";
import type { Inventory } from "../model/inventory.js";
import { isManifestProblem } from "../model/manifest.js";
import { fetchManifest } from "./read-registry-inventory.js";
import type { RegistryClient } from "./registry-client.js";

/** Options for reading creation times over HTTP. */
export interface ReadRegistryCreatedTimesOptions {
  /** Config blobs fetched at once (default: the client's concurrency). */
  concurrency?: number;
}

function parseTime(value: unknown): number | undefined {
  if (typeof value !== "string") return undefined;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? ms : undefined;
}

/** The `created` time of an image config blob (Docker or OCI), or undefined when it has none or is unreadable. */
export function configCreatedMs(bytes: Buffer): number | undefined {
  try {
    const doc = JSON.parse(bytes.toString("utf8")) as { created?: unknown } | null;
    return parseTime(doc?.created);
  } catch {
    return undefined;
  }
}

/** The creation time of a schema1 manifest: its top history entry's `v1Compatibility.created` (as the seed read it). */
export function schema1CreatedMs(bytes: Buffer): number | undefined {
  try {
    const doc = JSON.parse(bytes.toString("utf8")) as { history?: Array<{ v1Compatibility?: unknown }> };
    const top = Array.isArray(doc?.history) ? doc.history[0]?.v1Compatibility : undefined;
    if (typeof top !== "string") return undefined;
    return parseTime((JSON.parse(top) as { created?: unknown } | null)?.created);
  } catch {
    return undefined;
  }
}

/** An index's creation time: its newest child's among those known (undefined when none is). */
export function newestKnown(times: ReadonlyArray<number | undefined>): number | undefined {
  const known = times.filter((t): t is number => t !== undefined);
  return known.length > 0 ? Math.max(...known) : undefined;
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
  const out = new Map<Digest, number>();
  // Content-addressed: a digest has one time whichever repository serves it, so each is read once.
  const memo = new Map<Digest, Promise<number | undefined>>();
  const one = (repository: string, digest: Digest, depth: number): Promise<number | undefined> => {
    const known = memo.get(digest);
    if (known) return known;
    const work = (async (): Promise<number | undefined> => {
      const m = inventory.manifests.get(digest);
      if (!m || isManifestProblem(m)) return undefined;
      let created: number | undefined;
      if (m.kind === "manifest-list" || m.kind === "oci-index") {
        if (depth > 4) return undefined; // indexes of indexes are rare; a cycle would be corrupt
        created = newestKnown(await Promise.all(m.children.map((c) => one(repository, c, depth + 1))));
      } else if (m.kind === "schema1") {
        // The inventory keeps no manifest bytes; schema1 carries its time in the manifest itself.
        const fetched = await fetchManifest(client, repository, digest);
        created = fetched ? schema1CreatedMs(fetched.bytes) : undefined;
      } else if (m.config) {
        const bytes = await fetchBlob(client, repository, m.config);
        created = bytes ? configCreatedMs(bytes) : undefined;
      }
      if (created !== undefined) out.set(digest, created);
      return created;
    })();
    memo.set(digest, work);
    return work;
  };
  const tagged: Array<[string, Digest]> = inventory.repositories.flatMap((r) =>
    r.tags.flatMap((t): Array<[string, Digest]> => (t.current ? [[r.name, t.current]] : [])),
  );
  // Bounded by the client's limiter on every request; this bounds the pending promises as well.
  const concurrency = options.concurrency ?? client.options.concurrency ?? 16;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < tagged.length) {
      const [repository, digest] = tagged[next++] as [string, Digest];
      await one(repository, digest, 0);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
  return out;
}
