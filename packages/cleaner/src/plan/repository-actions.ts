import type { Digest } from "../model/digest.js";
import type { PlanAction, RepositorySnapshot } from "../model/plan.js";
import type { RevisionAction } from "./action-order.js";
import { type ManifestLookup, revisionBlobs } from "./manifest-graph.js";
import type { RepoWork } from "./resolve-repository.js";

/** The file actions of a plan by phase, with what the blob sweep and the summary need. */
export interface FileActions {
  tags: PlanAction[];
  indexEntries: PlanAction[];
  revisions: RevisionAction[];
  layers: PlanAction[];
  uploads: PlanAction[];
  /** Aborts of an object store's multipart uploads (see `addMultipartActions`). */
  multipartUploads: PlanAction[];
  blobs: PlanAction[];
  /** Order keys of the files the actions remove (0 when unknown): by action for revisions, index for index for layers and blobs. */
  revisionKeys: Map<PlanAction, number>;
  layerKeys: number[];
  blobKeys: number[];
  /** Every blob some repository names before the plan, and those still named after it. */
  referencedBefore: Set<Digest>;
  referencedAfter: Set<Digest>;
  repositoriesRemoved: string[];
  snapshots: RepositorySnapshot[];
}

/** Empty phases. */
export function fileActions(): FileActions {
  return {
    tags: [],
    indexEntries: [],
    revisions: [],
    layers: [],
    uploads: [],
    multipartUploads: [],
    blobs: [],
    revisionKeys: new Map(),
    layerKeys: [],
    blobKeys: [],
    referencedBefore: new Set(),
    referencedAfter: new Set(),
    repositoriesRemoved: [],
    snapshots: [],
  };
}

/** What decides which links and uploads of a repository go. */
export interface RepositoryLimits {
  /** Orphans linked after this (ms since the epoch) may be a push in flight. */
  graceLimit: number;
  /** Uploads started before this are stale. */
  uploadLimit: number;
  placeholders: ReadonlySet<Digest> | undefined;
}

function actionCount(out: FileActions): number {
  return (
    out.tags.length + out.indexEntries.length + out.revisions.length + out.layers.length + out.uploads.length
  );
}

/**
 * Adds one resolved repository's actions: its deleted tags and the history entries of deleted manifests in
 * kept tags, its deleted revisions, the layer links nothing that stays uses, its stale uploads; notes what it
 * names before and after, whether it ends empty, and its snapshot when the plan touches it.
 */
export function addRepositoryActions(
  w: RepoWork,
  manifest: ManifestLookup,
  limits: RepositoryLimits,
  out: FileActions,
): void {
  const name = w.repo.name;
  const before = actionCount(out);
  for (const t of w.repo.tags) {
    if (!w.deletedTags.has(t.name)) {
      for (const d of t.index) {
        if (w.deleted.has(d)) {
          out.indexEntries.push({
            type: "tag-index-entry",
            repository: name,
            tag: t.name,
            digest: d,
            reason: "history entry of a deleted manifest",
          });
        }
      }
      continue;
    }
    out.tags.push({
      type: "tag",
      repository: name,
      tag: t.name,
      ...(t.current ? { current: t.current } : {}),
      history: t.index,
      reason: w.deletedTags.get(t.name) as string,
    });
  }
  const keptBlobs = new Set<Digest>();
  const deletedBlobs = new Set<Digest>();
  for (const r of w.repo.revisions) {
    const m = manifest(r.digest);
    for (const b of revisionBlobs(r, manifest)) out.referencedBefore.add(b);
    if (w.deleted.has(r.digest)) {
      for (const b of m?.blobs ?? []) deletedBlobs.add(b);
      const action: RevisionAction = {
        type: "revision",
        repository: name,
        digest: r.digest,
        ...(r.signatures.length > 0 ? { signatures: r.signatures } : {}),
        reason: w.deleted.get(r.digest) as string,
        stage: 2,
      };
      out.revisions.push(action);
      out.revisionKeys.set(action, r.orderKey ?? 0);
    } else {
      out.referencedAfter.add(r.digest);
      for (const s of r.signatures) out.referencedAfter.add(s);
      for (const b of m?.blobs ?? []) {
        keptBlobs.add(b);
        out.referencedAfter.add(b);
      }
    }
  }
  const emptied =
    w.repo.tags.every((t) => w.deletedTags.has(t.name)) &&
    w.repo.revisions.every((r) => w.deleted.has(r.digest));
  let layersLeft = 0;
  for (const l of w.repo.layers) {
    out.referencedBefore.add(l.digest);
    let reason: string | undefined;
    if (keptBlobs.has(l.digest) || w.conservative) reason = undefined;
    else if (deletedBlobs.has(l.digest)) reason = "only deleted manifests used it";
    // A placeholder's config: nothing but a placeholder ever uses it, so its age does not matter.
    else if (limits.placeholders?.has(l.digest)) reason = "a regsweep placeholder's config";
    // An orphan link younger than the grace period may be a push in flight: it stays even in a deleted repository.
    else if ((w.sweepOrphans || emptied) && l.linkedAtMs <= limits.graceLimit) reason = "no manifest uses it";
    if (reason) {
      out.layerKeys.push(l.orderKey ?? 0);
      out.layers.push({ type: "layer-link", repository: name, digest: l.digest, reason });
    } else {
      out.referencedAfter.add(l.digest);
      layersLeft++;
    }
  }
  for (const u of w.repo.uploads) {
    const stale = w.removeAll
      ? u.startedAtMs <= limits.graceLimit
      : w.sweepOrphans && u.startedAtMs <= limits.uploadLimit;
    if (stale) {
      out.uploads.push({
        type: "upload",
        repository: name,
        upload: u.id,
        bytes: u.bytes,
        reason: w.removeAll ? "its repository is deleted" : "stale upload",
      });
    }
  }
  if (emptied && layersLeft === 0 && (w.repo.tags.length > 0 || w.repo.revisions.length > 0 || w.removeAll)) {
    out.repositoriesRemoved.push(name);
  }
  if (actionCount(out) > before) {
    out.snapshots.push({
      name,
      tags: Object.fromEntries(w.repo.tags.map((t) => [t.name, t.current ?? null])),
      revisions: [...new Set(w.repo.revisions.map((r) => r.digest))],
    });
  }
}
