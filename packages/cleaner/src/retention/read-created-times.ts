import type { Digest } from "../model/digest.js";
import type { Inventory } from "../model/inventory.js";
import { isManifestProblem } from "../model/manifest.js";
import { pathFor } from "../storage/storage-paths.js";
import { settled } from "../stores/outcome.js";
import type { Store } from "../stores/store.js";
import { type StoreTarget, useStore } from "../stores/use-store.js";
import { forEachLimited } from "../util/for-each-limited.js";

async function readJson(store: Store, digest: Digest): Promise<Record<string, unknown> | undefined> {
  try {
    const path = pathFor({ kind: "blob-data", digest });
    const bytes = settled(store, (await store.read([path]))[0], path);
    if (!bytes) return undefined;
    const value: unknown = JSON.parse(Buffer.from(bytes).toString("utf8"));
    return value && typeof value === "object" ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined; // a missing or unreadable blob has no known creation time: rules keep such tags
  }
}

function parseCreated(value: unknown): number | undefined {
  if (typeof value !== "string") return undefined;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? ms : undefined;
}

/** Options for reading creation times from a storage tree. */
export interface ReadCreatedTimesOptions {
  /** Also every untagged manifest (revisions no tag points at), for listings. Default: tagged only. */
  untagged?: boolean;
  /** Config blobs read at once (default 16: small files, the disk's queue likes a few in flight). */
  concurrency?: number;
}

/**
 * Reads the image creation time (config `created`) of every tagged manifest from a storage tree, offline.
 * An index takes its newest child's; schema1 its top history entry's (as the seed's clean_old_versions did).
 */
export async function readCreatedTimes(
  target: StoreTarget,
  inventory: Inventory,
  options: ReadCreatedTimesOptions = {},
): Promise<Map<Digest, number>> {
  return useStore(target, {}, (store) => readCreatedTimesFrom(store, inventory, options));
}

async function readCreatedTimesFrom(
  store: Store,
  inventory: Inventory,
  options: ReadCreatedTimesOptions,
): Promise<Map<Digest, number>> {
  const out = new Map<Digest, number>();
  // Content-addressed: a digest has one time whichever repository or index names it, so each is read once.
  const memo = new Map<Digest, Promise<number | undefined>>();
  const one = (digest: Digest, depth: number): Promise<number | undefined> => {
    const known = memo.get(digest);
    if (known) return known;
    const work = createdOf(digest, depth);
    memo.set(digest, work);
    return work;
  };
  const createdOf = async (digest: Digest, depth: number): Promise<number | undefined> => {
    const m = inventory.manifests.get(digest);
    if (!m || isManifestProblem(m)) return undefined;
    let created: number | undefined;
    if (m.kind === "manifest-list" || m.kind === "oci-index") {
      if (depth > 4) return undefined; // indexes of indexes are rare; a cycle would be corrupt
      const times = await Promise.all(m.children.map((c) => one(c, depth + 1)));
      const known = times.filter((t): t is number => t !== undefined);
      created = known.length > 0 ? Math.max(...known) : undefined;
    } else if (m.kind === "schema1") {
      const doc = await readJson(store, digest);
      const history = Array.isArray(doc?.history) ? (doc.history as Array<{ v1Compatibility?: string }>) : [];
      try {
        created = parseCreated(
          (JSON.parse(history[0]?.v1Compatibility ?? "{}") as { created?: unknown }).created,
        );
      } catch {
        created = undefined;
      }
    } else if (m.config) {
      created = parseCreated((await readJson(store, m.config))?.created);
    }
    if (created !== undefined) out.set(digest, created);
    return created;
  };
  const wanted = new Set<Digest>();
  for (const r of inventory.repositories) {
    for (const t of r.tags) if (t.current) wanted.add(t.current);
    if (options.untagged) for (const v of r.revisions) wanted.add(v.digest);
  }
  await forEachLimited(wanted, options.concurrency ?? 16, async (d) => {
    await one(d, 0);
  });
  return out;
}
