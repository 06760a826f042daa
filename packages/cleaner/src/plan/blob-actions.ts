import type { Digest } from "../model/digest.js";
import type { Inventory } from "../model/inventory.js";
import type { KeptNote } from "../model/plan.js";
import type { FileActions } from "./repository-actions.js";

/**
 * Adds the blob actions once every repository's are in: a blob goes when nothing that stays, in any
 * repository, names it — because the plan removed what named it, because it is a placeholder's, or (gc only)
 * because nothing ever named it and it is older than the grace period; younger ones are kept notes.
 */
export function addBlobActions(
  inventory: Inventory,
  sweep: boolean,
  graceLimit: number,
  out: FileActions,
  keptNotes: KeptNote[],
): void {
  const graceBlobs: Digest[] = [];
  for (const [digest, blob] of inventory.blobs) {
    if (out.referencedAfter.has(digest)) continue;
    let reason: string | undefined;
    if (out.referencedBefore.has(digest)) reason = "nothing left references it";
    else if (inventory.placeholders?.has(digest)) reason = "a regsweep placeholder";
    else if (sweep && blob.modifiedAtMs <= graceLimit) reason = "unreferenced";
    else if (sweep) graceBlobs.push(digest);
    if (reason) {
      out.blobKeys.push(blob.orderKey ?? 0);
      out.blobs.push({ type: "blob", digest, bytes: blob.size, reason });
    }
  }
  for (const digest of graceBlobs)
    keptNotes.push({
      repository: "",
      digest,
      code: "kept.grace-blob",
      reason: "unreferenced blob younger than the grace period",
    });
}
