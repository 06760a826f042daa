import type { Inventory } from "../model/inventory.js";
import type { KeptNote, PlanAction } from "../model/plan.js";
import { isRepositoryComponent } from "../model/reference.js";
import type { FileActions, RepositoryLimits } from "./repository-actions.js";
import type { RepoWork } from "./resolve-repository.js";

/**
 * Aborts of an object store's multipart uploads, after the repositories' own upload actions: in a deleted
 * repository those older than the grace period, under a gc those older than the upload age — also when their
 * `_uploads/<uuid>/` keys (or their whole repository) are gone, since the parts still cost storage. One whose
 * `_uploads` folder goes in this plan goes with it whatever its own age. Younger ones are kept with a note.
 */
export function addMultipartActions(
  inventory: Inventory,
  work: ReadonlyMap<string, RepoWork>,
  sweep: boolean,
  limits: RepositoryLimits,
  out: FileActions,
  keptNotes: KeptNote[],
): void {
  const uploadsGoing = new Set(
    out.uploads.flatMap((a) => (a.type === "upload" ? [`${a.repository}\n${a.upload}`] : [])),
  );
  for (const m of inventory.multipartUploads ?? []) {
    const w = work.get(m.repository);
    let limit: number;
    let reason: string;
    if (w?.removeAll) {
      limit = limits.graceLimit;
      reason = "its repository is deleted";
    } else if (w ? w.sweepOrphans : sweep && m.repository.split("/").every(isRepositoryComponent)) {
      limit = limits.uploadLimit;
      reason = w?.repo.uploads.some((u) => u.id === m.upload)
        ? "stale multipart upload"
        : "stale multipart upload (its _uploads folder is gone)";
    } else continue;
    const withFolder = uploadsGoing.has(`${m.repository}\n${m.upload}`);
    if (m.initiatedAtMs <= limit || withFolder) {
      out.multipartUploads.push({
        type: "multipart-upload",
        repository: m.repository,
        upload: m.upload,
        uploadId: m.uploadId,
        reason: withFolder && m.initiatedAtMs > limit ? "its upload folder is deleted" : reason,
      } satisfies PlanAction);
    } else {
      keptNotes.push({
        repository: m.repository,
        upload: m.upload,
        code: "kept.young-upload",
        reason: "multipart upload younger than the upload age (a push may still finish it)",
      });
    }
  }
}
