import type { Digest } from "../model/digest.js";
import type { Inventory } from "../model/inventory.js";
import { manifestLookup } from "../plan/manifest-graph.js";
import { forEachLimited } from "../util/for-each-limited.js";

/**
 * Where the bytes behind a creation time come from: a storage tree (`readCreatedTimes`) or the registry's
 * HTTP API (`readRegistryCreatedTimes`). Undefined when the blob cannot be read: rules then keep the tag.
 */
export interface CreatedTimeSource {
  /** The bytes of an image config blob, as `repository` serves it. */
  config(repository: string, digest: Digest): Promise<Uint8Array | undefined>;
  /** The bytes of a schema1 manifest (its time is in the manifest itself). */
  schema1(repository: string, digest: Digest): Promise<Uint8Array | undefined>;
}

function parseTime(value: unknown): number | undefined {
  if (typeof value !== "string") return undefined;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? ms : undefined;
}

function parseJson(bytes: Uint8Array): unknown {
  return JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8"));
}

/** The `created` time of an image config blob (Docker or OCI), or undefined when it has none or is unreadable. */
export function configCreatedMs(bytes: Uint8Array): number | undefined {
  try {
    return parseTime((parseJson(bytes) as { created?: unknown } | null)?.created);
  } catch {
    return undefined;
  }
}

/** The creation time of a schema1 manifest: its top history entry's `v1Compatibility.created` (as the seed read it). */
export function schema1CreatedMs(bytes: Uint8Array): number | undefined {
  try {
    const doc = parseJson(bytes) as { history?: Array<{ v1Compatibility?: unknown }> } | null;
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
 * The image creation time of each wanted manifest, read once per digest (content-addressed: one time
 * whichever repository or index names it) with at most `concurrency` in flight. An index takes its
 * newest child's; schema1 its top history entry's; an image its config's `created`.
 */
export async function readCreatedTimesFrom(
  inventory: Inventory,
  wanted: Iterable<readonly [repository: string, digest: Digest]>,
  source: CreatedTimeSource,
  concurrency: number,
): Promise<Map<Digest, number>> {
  const manifest = manifestLookup(inventory);
  const out = new Map<Digest, number>();
  const memo = new Map<Digest, Promise<number | undefined>>();
  const one = (repository: string, digest: Digest, depth: number): Promise<number | undefined> => {
    const known = memo.get(digest);
    if (known) return known;
    const work = (async (): Promise<number | undefined> => {
      const m = manifest(digest);
      if (!m) return undefined;
      let created: number | undefined;
      if (m.kind === "manifest-list" || m.kind === "oci-index") {
        if (depth > 4) return undefined; // indexes of indexes are rare; a cycle would be corrupt
        created = newestKnown(await Promise.all(m.children.map((c) => one(repository, c, depth + 1))));
      } else if (m.kind === "schema1") {
        const bytes = await source.schema1(repository, digest);
        created = bytes ? schema1CreatedMs(bytes) : undefined;
      } else if (m.config) {
        const bytes = await source.config(repository, m.config);
        created = bytes ? configCreatedMs(bytes) : undefined;
      }
      if (created !== undefined) out.set(digest, created);
      return created;
    })();
    memo.set(digest, work);
    return work;
  };
  await forEachLimited(wanted, concurrency, async ([repository, digest]) => {
    await one(repository, digest, 0);
  });
  return out;
}
