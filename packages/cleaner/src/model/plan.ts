import type { RegistryCapabilities } from "../http/probe-registry.js";
import type { Digest } from "./digest.js";
import type { Finding } from "./inventory.js";

/** What the user asked for. Several requests can go into one plan. */
export type PlanRequest =
  | { kind: "delete-repository"; repository: string }
  | { kind: "delete-tag"; repository: string; tag: string }
  | { kind: "delete-manifest"; repository: string; digest: Digest }
  /** Untagged manifests of one repository, or of all when `repository` is absent; with `minAgeMs`, only ones linked at least that long ago. */
  | { kind: "delete-untagged"; repository?: string; minAgeMs?: number }
  /** Mark and sweep over the whole tree; with `deleteUntagged`, untagged manifests go too (index-aware). */
  | { kind: "gc"; deleteUntagged: boolean };

/**
 * Which backend a plan is for: `storage`, a storage tree (a folder or a bucket: the same engine on another
 * `Store`), or `http`, the Registry HTTP API. Its apply refuses a plan made for the other.
 */
export type BackendKind = "storage" | "http";

/** Knobs that change what is safe to delete. */
export interface PlanOptions {
  /** Unreferenced things younger than this may belong to a push in flight and are kept (default 1 h). */
  graceMs: number;
  /** Uploads older than this are stale and removed by gc and repository deletion (default 24 h). */
  uploadMaxAgeMs: number;
  /** Also remove empty folders that were there before (the seed's `--prune`). */
  prune: boolean;
  /** "Now", for age comparisons; pass it in so planning stays pure. */
  nowMs: number;
}

/**
 * One deletion, in apply order. An action names its item (repository, tag, digest…), not its paths: the files
 * and folder it removes follow from those through `storage-paths` (see `plan-paths.ts`), so a 300k-action
 * plan does not hold 300k path strings, and a plan read back from disk cannot point anywhere else. Each
 * action also removes its own folder once empty (the tag folder, `revisions/<alg>/<hex>`,
 * `_layers/<alg>/<hex>`, `blobs/<alg>/<xx>/<hex>`…); `prune` actions name only the shared folders above them.
 * Written out as JSON, every action carries its root-relative `path` (and `files`) for readers.
 */
export type PlanAction =
  | {
      type: "tag";
      repository: string;
      tag: string;
      current?: Digest;
      /** The tag's index (history) entries removed with it. */
      history: Digest[];
      /** Stray entries in its folder (a `.DS_Store`), relative to it, removed with it (see `Inventory.strays`). */
      strays?: string[];
      reason: string;
      /** Online: how the API deletes it (set by `planTagMethods` from what the registry can do). */
      method?: TagMethod;
      /** Online, `digest` method: kept tags on the same digest that go with it (`--cascade-tags`). */
      cascades?: string[];
      /** Online: why the API cannot delete this tag here (apply skips it and says so). */
      blocked?: string;
    }
  | {
      type: "tag-index-entry";
      repository: string;
      tag: string;
      digest: Digest;
      reason: string;
      /** Stray entries in its folder (a `link.orig`), relative to it, removed with it (see `Inventory.strays`). */
      strays?: string[];
    }
  | {
      type: "revision";
      repository: string;
      digest: Digest;
      /** schema1 signature links below the revision, removed with it (registries 2.2–2.4). */
      signatures?: Digest[];
      reason: string;
      /** Apply order within the phase: referrers (0) before indexes (1) before the rest (2). */
      stage: 0 | 1 | 2;
      /** Stray entries below its folder, relative to it, removed with it (see `Inventory.strays`). */
      strays?: string[];
    }
  | {
      type: "layer-link";
      repository: string;
      digest: Digest;
      reason: string;
      /** Stray entries in its folder (a `link.orig`), relative to it, removed with it. */
      strays?: string[];
    }
  | { type: "upload"; repository: string; upload: string; bytes: number; reason: string }
  /**
   * Abort an object store's multipart upload behind `_uploads/<upload>/data` (the parts an interrupted blob
   * upload left, billed until aborted), whether or not its `_uploads/<upload>/` keys are still there.
   */
  | { type: "multipart-upload"; repository: string; upload: string; uploadId: string; reason: string }
  | {
      type: "blob";
      digest: Digest;
      bytes: number;
      reason: string;
      /** Stray entries in its folder (a `data.tmp`), relative to it, removed with it. */
      strays?: string[];
    }
  /** Remove a folder (root-relative) if it is empty by then (folders our own deletions empty, and, with prune, ones already empty). */
  | {
      type: "prune";
      path: string;
      reason: string;
      /** Names of stray entries in the folder, removed with it (see `Inventory.strays`). */
      strays?: string[];
    };

/**
 * How an online apply deletes a tag: `tag-delete` = DELETE /manifests/<tag> (3.x); `placeholder` = point the
 * tag at a placeholder manifest and DELETE that by digest (2.3–2.8); `digest` = DELETE the manifest it names
 * by digest, which removes every tag on that digest (2.3+) or leaves them dangling (2.2).
 */
export type TagMethod = "tag-delete" | "placeholder" | "digest";

/**
 * Why the plan keeps something the request touched: a kept tag names it (`kept.tagged`), it is in the history
 * of a tag whose current link cannot be read (`kept.tag-history`), a kept index names it (`kept.child`), it
 * refers to a kept manifest (`kept.referrer`), or it is younger than the grace period: an untagged manifest
 * (`kept.grace`) or an unreferenced blob (`kept.grace-blob`).
 */
export type KeptCode =
  | "kept.tagged"
  | "kept.tag-history"
  | "kept.child"
  | "kept.referrer"
  | "kept.grace"
  | "kept.grace-blob"
  /** An object store's multipart upload younger than the upload age (`--upload-age`): a push may still finish it. */
  | "kept.young-upload"
  /**
   * A blob named only by a link no inventory reads as a repository's (see `UnreadLinks`): kept until the
   * operator fixes the folder the note names.
   */
  | "kept.unread-link";

/**
 * A manifest (or, with an empty repository, a blob) the plan keeps although the request touched it, and why;
 * with `upload` instead of a digest, a young multipart upload of the repository (`kept.young-upload`).
 */
export interface KeptNote {
  repository: string;
  /** Absent only on a multipart upload's note (it names `upload`). */
  digest?: Digest;
  /** The `_uploads/<upload>` a kept multipart upload belongs to. */
  upload?: string;
  /** What callers decide by; absent only in plans written before codes existed (read as "kept otherwise"). */
  code: KeptCode;
  /** The same for people. */
  reason: string;
}

/** The state of a repository the plan was made against, so apply can tell when it went stale. */
export interface RepositorySnapshot {
  name: string;
  tags: Record<string, Digest | null>;
  revisions: Digest[];
}

/** Totals for the summary line. */
export interface PlanSummary {
  tags: number;
  manifests: number;
  layerLinks: number;
  uploads: number;
  /** Object-store multipart uploads aborted (absent in plans written before they were planned). */
  multipartUploads?: number;
  blobs: number;
  /** Blob and upload bytes freed on disk, each blob counted once however many repositories shared it. */
  bytesFreed: number;
  /** Repositories that end with nothing in them (they leave the catalog). */
  repositoriesRemoved: string[];
}

/** A plan: plain data that names every deletion and why (`plan-json.ts` writes and reads it); only `applyPlan` acts on it. */
export interface Plan {
  format: "regsweep.plan/v1";
  /** The backend it was made for and must be applied through (plans written before it: see `plan-json.ts`). */
  backend: BackendKind;
  source: string;
  createdAtMs: number;
  requests: PlanRequest[];
  options: Omit<PlanOptions, "nowMs">;
  actions: PlanAction[];
  kept: KeptNote[];
  snapshots: RepositorySnapshot[];
  summary: PlanSummary;
  findings: Finding[];
  /** Online: what the registry's probe found when the plan was made (the tag methods follow from it). */
  registry?: RegistryCapabilities;
}
