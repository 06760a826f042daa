import type { LiveReport } from "../live/live-deletion.js";
import type { RepositoryChange } from "../storage/storage-rechecks.js";
import { InvalidRequestError, PlanBackendError } from "./errors.js";
import type { BackendKind, Plan, PlanAction } from "./plan.js";

/** Why an action was not carried out, as data (the `why` sentence is for people). */
export type SkipCode =
  /** Its repository changed since the plan was made (a push, a tag moved): the whole repository is left. */
  | "repository.changed"
  /** The tag points elsewhere now. */
  | "tag.moved"
  /** A repository links the blob again since the plan was made. */
  | "blob.relinked"
  /**
   * A link no inventory reads as a repository's names the blob (a signature link below a revision folder
   * without its link): kept, and every run would plan it again until the operator fixes `fix.path`.
   */
  | "blob.linked-unread"
  /** Online, a registry that deletes tags only by digest would also untag kept tags (a forced delete would help). */
  | "tag.shares-digest"
  /** Online, deleting the tag by digest would delete a manifest the plan keeps. */
  | "tag.digest-kept"
  /** Online, the way the plan deletes the tag is one this registry cannot take (or none can delete it alone). */
  | "tag.method-blocked"
  /** Online, the registry left the tag listed after deleting its placeholder, twice (a re-run finishes it). */
  | "tag.dangling"
  /** Online, the registry names no digest for the tag, and cannot delete tags. */
  | "tag.no-digest"
  /** Online, kept tags point at the manifest now. */
  | "manifest.tagged-now"
  /** Online, served as schema1: its digest may be a registry rewrite, never deleted by digest. */
  | "manifest.schema1"
  /** Live: what a push in flight or a re-mark found in use is kept (see docs/live-gc.md). */
  | "live.in-use"
  | "live.rewritten"
  | "live.restored";

/** An action that was not carried out, and why. */
export interface SkippedAction {
  index: number;
  action: PlanAction;
  why: string;
  /** What a caller can act on, e.g. `tag.shares-digest` (a cascading delete would help). */
  code: SkipCode;
  /**
   * Set when a re-run would skip it again: what the operator must fix first (root-relative path, and what
   * to do there). Without it, a re-run plans afresh and gets further.
   */
  fix?: { path: string; what: string };
}

/** What an apply did. */
export interface ApplyReport {
  /** Actions carried out (including ones whose files were already gone, e.g. after an interrupted run). */
  done: number;
  alreadyGone: number;
  skipped: SkippedAction[];
  /** Repositories that changed since the plan was made; their actions were skipped. */
  staleRepositories: string[];
  /** For each of them, the first change that matters (what a re-run will plan again for). */
  changes: RepositoryChange[];
  bytesFreed: number;
  /** Object-store multipart uploads this run aborted (their parts' size is not known; not in `bytesFreed`). */
  multipartUploadsAborted?: number;
  /** With `live`: marks made, items held aside, put back and superseded, cache keys evicted. */
  live?: LiveReport;
}

/**
 * The start of every apply, whichever backend carries it out: the plan is one regsweep wrote, for this
 * backend, and nothing is done yet.
 */
export function startApply(plan: Plan, backend: BackendKind): ApplyReport {
  if (plan.format !== "regsweep.plan/v1")
    throw new InvalidRequestError(`not a regsweep plan (format ${String(plan.format)})`);
  if (plan.backend !== backend) throw new PlanBackendError(plan.backend, backend);
  return { done: 0, alreadyGone: 0, skipped: [], staleRepositories: [], changes: [], bytesFreed: 0 };
}
