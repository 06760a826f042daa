import type { LiveOptions } from "../live/live-deletion.js";
import type { ApplyReport } from "../model/apply-report.js";
import type { Digest } from "../model/digest.js";
import type { Inventory } from "../model/inventory.js";
import type { BackendKind, Plan } from "../model/plan.js";
import type { PendingJournal } from "../storage/journal.js";

/**
 * What a backend can do, for the flow above it to decide by (never by its kind): the storage tree locks,
 * journals, deletes blob data and removes folders; the Registry HTTP API does none of these.
 */
export interface BackendCapabilities {
  /** Takes a lock that keeps two runs apart (`<root>/.regsweep/lock`). */
  lock: boolean;
  /** Journals an apply, so that the next run finishes one that was interrupted (`resume`). */
  journal: boolean;
  /** Deletes blob data itself (the API only unlinks: a garbage collection frees the bytes). */
  deletesBlobs: boolean;
  /** Its inventory reports folders, so its plans carry folder prunes (the HTTP API shows none). */
  folderPrunes: boolean;
  /** Can delete while a registry serves it, in live mode (a storage tree on a local disk). */
  live: boolean;
  /** Its inventory has untagged manifests (the HTTP API never lists them). */
  listsUntagged: boolean;
}

/** What applying through any backend takes; a backend's own knobs are given when it is made. */
export interface BackendApplyOptions {
  onProgress?: (done: number, total: number) => void;
  /** Stop early (Ctrl-C): actions not started are left; what was done is reported. */
  signal?: AbortSignal;
  /** Live mode (docs/live-gc.md), only where `capabilities.live`. */
  live?: LiveOptions;
}

/**
 * One place a registry's data is reached through, chosen once per command: it reads the inventory and the
 * image creation times, completes a plan with what only it knows, and applies the plan; the planner between
 * does not know which backend it serves. Implementations name the technology: `StorageBackend` (a storage
 * tree on a `Store`), `HttpBackend` (the Registry HTTP API v2).
 */
export interface RegistryBackend<Progress = unknown, Report extends ApplyReport = ApplyReport>
  extends AsyncDisposable {
  /** What plans made here name as their `backend`; `apply` refuses a plan for another. */
  readonly kind: BackendKind;
  /** Where it works, as plans and messages name it (a folder, `s3://bucket/prefix`, a URL; no secret). */
  readonly location: string;
  readonly capabilities: BackendCapabilities;
  /** Reads what the registry holds, once. */
  /** `signal` stops the read (Ctrl-C) with `ReadInterruptedError` where the backend reads in rounds. */
  readInventory(options?: {
    onProgress?: (progress: Readonly<Progress>) => void;
    signal?: AbortSignal;
  }): Promise<Inventory>;
  /**
   * The image creation time of every tagged manifest of the inventory (`untagged`: of every manifest, where
   * the backend can see untagged ones); what cannot be read has no time.
   */
  readCreatedTimes(inventory: Inventory, options?: { untagged?: boolean }): Promise<Map<Digest, number>>;
  /**
   * The plan with what only this backend can say about it (online: how each tag will be deleted), so that
   * what is printed is what apply does. `warn` hears what could not be found out (the plan is still valid).
   */
  completePlan(plan: Plan, warn: (message: string) => void): Promise<Plan>;
  /** Applies a plan made for this backend (see `checkPlanFor`). */
  apply(plan: Plan, options?: BackendApplyOptions): Promise<Report>;
  /** Takes the lock (`capabilities.lock`), or `undefined` where there is none to take. */
  lock(): Promise<AsyncDisposable | undefined>;
  /**
   * Removes what a killed run left behind that no plan removes (its lock, journal pieces without their
   * plan), if it is ours to remove; nothing where there is no lock or journal.
   */
  clearStaleState(): Promise<void>;
  /** The plan an interrupted apply left journaled (`capabilities.journal`), if any. */
  pending(): Promise<PendingJournal | undefined>;
}
