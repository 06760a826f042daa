import type { Digest } from "../model/digest.js";
import type { Inventory } from "../model/inventory.js";
import type { Plan } from "../model/plan.js";
import { manifestLookup, revisionBlobs } from "./manifest-graph.js";

/** Disk use of one repository. Bytes are blob sizes on disk. */
export interface RepositorySpace {
  repository: string;
  /** Every blob the repository names (manifests, configs, layers), each once. */
  totalBytes: number;
  /** Blobs no other repository names: what deleting the repository would free. */
  uniqueBytes: number;
  /** Blobs other repositories name too. */
  sharedBytes: number;
  /** Blobs of this repository that the given gc plan deletes (untagged, orphaned), plus its stale uploads. */
  reclaimableBytes: number;
  uploadsBytes: number;
}

/** Space per repository and for the whole tree. */
export interface SpaceReport {
  repositories: RepositorySpace[];
  /** All blob data on disk, each blob once. */
  totalBytes: number;
  /** Blob data no repository names at all. */
  unlinkedBytes: number;
  /** What the gc plan frees in total (each blob once). */
  reclaimableBytes: number;
}

/**
 * Who uses how much: per repository the bytes it names, the part only it names, and the part a gc plan
 * (typically `gc --delete-untagged`) would free. Pure: pass the plan in.
 */
export function summarizeSpace(inventory: Inventory, gcPlan?: Plan): SpaceReport {
  const manifest = manifestLookup(inventory);
  const users = new Map<Digest, Set<string>>();
  const named = new Map<string, Set<Digest>>();
  for (const repo of inventory.repositories) {
    const mine = new Set<Digest>();
    for (const r of repo.revisions) for (const b of revisionBlobs(r, manifest)) mine.add(b);
    for (const l of repo.layers) mine.add(l.digest);
    named.set(repo.name, mine);
    for (const d of mine) {
      const set = users.get(d) ?? new Set<string>();
      set.add(repo.name);
      users.set(d, set);
    }
  }
  const freed = new Set<Digest>();
  const freedUploads = new Map<string, number>();
  for (const a of gcPlan?.actions ?? []) {
    if (a.type === "blob") freed.add(a.digest);
    if (a.type === "upload") freedUploads.set(a.repository, (freedUploads.get(a.repository) ?? 0) + a.bytes);
  }
  const size = (d: Digest) => inventory.blobs.get(d)?.size ?? 0;
  const repositories = inventory.repositories.map((repo): RepositorySpace => {
    let total = 0;
    let unique = 0;
    let reclaimable = 0;
    for (const d of named.get(repo.name) ?? []) {
      const bytes = size(d);
      total += bytes;
      if ((users.get(d)?.size ?? 0) <= 1) unique += bytes;
      if (freed.has(d)) reclaimable += bytes;
    }
    return {
      repository: repo.name,
      totalBytes: total,
      uniqueBytes: unique,
      sharedBytes: total - unique,
      reclaimableBytes: reclaimable + (freedUploads.get(repo.name) ?? 0),
      uploadsBytes: repo.uploads.reduce((n, u) => n + u.bytes, 0),
    };
  });
  let totalBytes = 0;
  let unlinkedBytes = 0;
  for (const [d, b] of inventory.blobs) {
    totalBytes += b.size;
    if (!users.has(d)) unlinkedBytes += b.size;
  }
  return { repositories, totalBytes, unlinkedBytes, reclaimableBytes: gcPlan?.summary.bytesFreed ?? 0 };
}
