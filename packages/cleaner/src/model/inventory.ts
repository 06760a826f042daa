import type { Digest } from "./digest.js";
import type { ManifestInfo, ManifestProblem } from "./manifest.js";
import type { BackendKind } from "./plan.js";

/** A tag: where it points now and every digest it has pointed to (distribution's tag index). */
export interface TagInfo {
  name: string;
  /** Undefined when `current/link` is missing or unreadable (a finding says which). */
  current?: Digest;
  /** When the tag was last pushed (mtime of `current/link`), ms since the epoch. */
  pushedAtMs?: number;
  index: Digest[];
}

/** A manifest revision of a repository (`_manifests/revisions/…/link`). */
export interface RevisionInfo {
  digest: Digest;
  linkedAtMs: number;
  /**
   * The store's order key of its file (the filesystem store's inode number; absent where a store has none,
   * as on object storage and online): the planner only sorts by it (see `inStoreOrder`).
   */
  orderKey?: number;
  /** schema1 signature blobs linked under the revision (registries 2.2–2.4). */
  signatures: Digest[];
}

/** A blob linked into a repository (`_layers/…/link`): layers and configs. */
export interface LayerLinkInfo {
  digest: Digest;
  linkedAtMs: number;
  /**
   * The store's order key of its file (the filesystem store's inode number; absent where a store has none,
   * as on object storage and online): the planner only sorts by it (see `inStoreOrder`).
   */
  orderKey?: number;
}

/** An upload in progress (`_uploads/<id>`). */
export interface UploadInfo {
  id: string;
  startedAtMs: number;
  bytes: number;
}

/**
 * A multipart upload an object store holds for `_uploads/<upload>/data` (a blob upload's parts, which no
 * listing shows and which cost storage until aborted).
 */
export interface MultipartUploadInfo {
  repository: string;
  upload: string;
  uploadId: string;
  initiatedAtMs: number;
}

/**
 * A folder holding links no inventory reads as the repository's: a revision folder without its own link
 * that still holds schema1 signature links (an API delete on 2.x removes only the revision's `link`). Only
 * the operator can settle it (remove the folder if its manifest is gone, or restore its link); until then
 * every blob a link in it names is kept.
 */
export interface UnreadLinks {
  repository: string;
  /** The folder to fix, root-relative. */
  folder: string;
  /** The blobs its links name. */
  digests: Digest[];
}

/** What the operator does about a folder of `UnreadLinks`. */
export const UNREAD_FIX = "remove the folder if its manifest is gone, or restore its link";

/** Everything one repository holds. Arrays are sorted for stable plans. */
export interface RepositoryInventory {
  name: string;
  tags: TagInfo[];
  revisions: RevisionInfo[];
  layers: LayerLinkInfo[];
  uploads: UploadInfo[];
}

/** A blob's data file. */
export interface BlobInfo {
  size: number;
  modifiedAtMs: number;
  /**
   * The store's order key of its file (the filesystem store's inode number; absent where a store has none,
   * as on object storage and online): the planner only sorts by it (see `inStoreOrder`).
   */
  orderKey?: number;
}

/** Codes of the things an inventory can find wrong; none of them is ever a reason to delete. */
export type FindingCode =
  | "link.dangling"
  | "link.invalid"
  | "manifest.missing"
  | "manifest.corrupt"
  | "manifest.unknown-type"
  /** Online: a manifest the registry served as schema1, whose digest may be a rewrite (never deleted by digest). */
  | "manifest.schema1"
  | "tag.broken"
  | "tag.no-current"
  | "entry.symlink"
  | "entry.unexpected"
  /** A folder outside the grammar that the system will not list (kept; what it holds is unknown). */
  | "entry.unreadable"
  /**
   * Links no inventory reads as a repository's: signature links below a revision folder without its own
   * link (what deleting a schema1 manifest through the API leaves on 2.x). What they name is kept.
   */
  | "link.unread"
  | "dir.empty";

/** Something wrong or odd in the tree, with where it is. */
export interface Finding {
  code: FindingCode;
  /** Root-relative path. */
  path: string;
  repository?: string;
  digest?: Digest;
  detail: string;
}

/** What a registry holds, read once; the planner's only input besides the request. */
export interface Inventory {
  /** Which backend read it: the plans made from it are for that backend. */
  backend: BackendKind;
  /** Where it was read from (storage root or registry URL), for plans and messages. */
  source: string;
  readAtMs: number;
  repositories: RepositoryInventory[];
  blobs: Map<Digest, BlobInfo>;
  /** Every manifest that some revision or tag names, parsed (or why it could not be). */
  manifests: Map<Digest, ManifestInfo | ManifestProblem>;
  findings: Finding[];
  /**
   * Empty directories under repositories/ and blobs/, root-relative (what `--prune` removes). Absent where
   * the source shows no folders at all (the Registry HTTP API): plans made from it have no folder prunes.
   */
  emptyDirs?: string[];
  /**
   * A repository's own folders (`_uploads`, `_manifests`, `_manifests/tags`, `_layers`, `_manifests/revisions`)
   * that are there and empty: removed only with their repository, and only when there, so that a second
   * deletion of a repository finds nothing to plan.
   */
  skeletonDirs?: string[];
  /**
   * regsweep placeholder manifests and their config blobs (see `placeholder.ts`): a tag on one is finished
   * off by the next plan, and their blobs and layer links go whatever their age.
   */
  placeholders?: Set<Digest>;
  /**
   * Entries that are not folders where the layout has only folders or known files (a `.DS_Store`, a
   * symbolic link), root-relative: findings, kept, but removed with the folder holding them when a plan
   * removes that folder, so deleting everything leaves nothing behind.
   */
  strays?: string[];
  /**
   * In-progress multipart uploads below `repositories/` (stores that have them), sorted by repository, upload
   * and id; an upload whose repository or `_uploads/<upload>/` keys are gone is still here.
   */
  multipartUploads?: MultipartUploadInfo[];
  /** Folders holding links no inventory reads as a repository's (see `UnreadLinks`), sorted by folder. */
  unreadLinks?: UnreadLinks[];
}
