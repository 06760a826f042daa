import type { PlanAction } from "../model/plan.js";
import { folderFor, pathFor } from "../storage/storage-paths.js";

/**
 * The root-relative path an action is about: the tag folder, the upload folder, the folder a prune removes,
 * the object a multipart upload would become (`_uploads/<uuid>/data`), or the link / data file of the rest. Derived on demand, never stored (see `PlanAction`).
 */
export function actionPath(a: PlanAction): string {
  switch (a.type) {
    case "tag":
      return pathFor({ kind: "tag-dir", repository: a.repository, tag: a.tag });
    case "tag-index-entry":
      return pathFor({ kind: "tag-index-link", repository: a.repository, tag: a.tag, digest: a.digest });
    case "revision":
      return pathFor({ kind: "revision-link", repository: a.repository, digest: a.digest });
    case "layer-link":
      return pathFor({ kind: "layer-link", repository: a.repository, digest: a.digest });
    case "upload":
      return pathFor({ kind: "upload-dir", repository: a.repository, upload: a.upload });
    case "multipart-upload":
      return folderFor({ kind: "upload-data", repository: a.repository, upload: a.upload });
    case "blob":
      return pathFor({ kind: "blob-data", digest: a.digest });
    case "prune":
      return a.path;
  }
}

/**
 * The files an action unlinks, root-relative: a tag's current link and history entries, a revision's
 * signature links then its own link, the one link or data file of the others; none for an upload (its folder
 * goes whole) or a prune.
 */
export function actionFiles(a: PlanAction): string[] {
  switch (a.type) {
    case "tag":
      return [
        pathFor({ kind: "tag-current-link", repository: a.repository, tag: a.tag }),
        ...a.history.map((digest) =>
          pathFor({ kind: "tag-index-link", repository: a.repository, tag: a.tag, digest }),
        ),
      ];
    case "prune":
      return [];
    case "revision":
      return [
        ...(a.signatures ?? []).map((signature) =>
          pathFor({ kind: "signature-link", repository: a.repository, digest: a.digest, signature }),
        ),
        actionPath(a),
      ];
    case "upload":
    case "multipart-upload":
      return [];
    default:
      return [actionPath(a)];
  }
}

/** The stray entries an action removes before its folder (see `Inventory.strays`), root-relative. */
export function actionStrays(a: PlanAction): string[] {
  if (a.type === "upload" || a.type === "multipart-upload" || !a.strays) return [];
  const dir = ownDir(a);
  return a.strays.map((s) => `${dir}/${s}`);
}

/** The folder an action removes along with its files (the item's own folder), root-relative. */
export function ownDir(a: PlanAction): string {
  const path = actionPath(a);
  switch (a.type) {
    case "tag":
    case "upload":
    case "prune":
      return path;
    default:
      return path.slice(0, path.lastIndexOf("/"));
  }
}
