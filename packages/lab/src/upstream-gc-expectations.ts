import type { GcFlavour } from "@regsweep/testbed";

/** What a registry's own `garbage-collect --delete-untagged` does to the untagged children of a tagged index. */
export type UpstreamDeleteUntaggedOutcome =
  /** Deletes them: the tag still resolves to the index, but its platforms no longer pull (2.7, 2.8). */
  | "breaks-index-children"
  /** Keeps them: the index stays pullable (3.0's index-aware mark). */
  | "keeps-index-children"
  /** The version has no `--delete-untagged` (2.2–2.6): nothing to compare. */
  | "no-delete-untagged";

/**
 * The expected outcome per GC flavour of the testbed's version table, as data: scenarios read this
 * instead of branching on version strings (shared/notes/registry-versions.md, "Garbage collection").
 */
export const upstreamDeleteUntaggedOutcome: Readonly<Record<GcFlavour, UpstreamDeleteUntaggedOutcome>> = {
  none: "no-delete-untagged",
  "mark-all-revisions": "no-delete-untagged",
  "delete-untagged-unsafe": "breaks-index-children",
  "delete-untagged-index-aware": "keeps-index-children",
};
