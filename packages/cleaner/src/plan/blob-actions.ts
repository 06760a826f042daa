import type { Digest } from "../model/digest.js";
import { type Inventory, UNREAD_FIX, type UnreadLinks } from "../model/inventory.js";
import type { KeptNote } from "../model/plan.js";
import type { FileActions } from "./repository-actions.js";

/**
 * Adds the blob actions once every repository's are in: a blob goes when nothing that stays, in any
 * repository, names it — because the plan removed what named it, because it is a placeholder's, or (gc only)
 * because nothing ever named it and it is older than the grace period; younger ones are kept notes, and so
 * are those a link no inventory reads as a repository's still names (`Inventory.unreadLinks`), with the
 * folder to fix.
 */
export function addBlobActions(
  inventory: Inventory,
  sweep: boolean,
  graceLimit: number,
  out: FileActions,
  keptNotes: KeptNote[],
): void {
  const graceBlobs: Digest[] = [];
  const unread = new Map<Digest, UnreadLinks>();
  for (const u of inventory.unreadLinks ?? [])
    for (const d of u.digests) if (!unread.has(d)) unread.set(d, u);
  for (const [digest, blob] of inventory.blobs) {
    if (out.referencedAfter.has(digest)) continue;
    let reason: string | undefined;
    if (out.referencedBefore.has(digest)) reason = "nothing left references it";
    else if (inventory.placeholders?.has(digest)) reason = "a regsweep placeholder";
    else if (sweep && blob.modifiedAtMs <= graceLimit) reason = "unreferenced";
    else if (sweep) graceBlobs.push(digest);
    const named = reason ? unread.get(digest) : undefined;
    if (named) {
      // Never delete what a link names, even one no repository reads: every run would plan it again.
      keptNotes.push({
        repository: named.repository,
        digest,
        code: "kept.unread-link",
        reason: `a signature link below ${named.folder} names it, a folder that is no revision (${UNREAD_FIX})`,
      });
    } else if (reason) {
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
