import type { Digest } from "../model/digest.js";

/**
 * A retention policy as data: rules select repositories and tags, then say what to keep; everything else in
 * a rule's scope is deleted. What any rule keeps is kept (keep wins), so a mistake can only keep too much.
 */
export interface RetentionPolicy {
  rules: RetentionRule[];
}

/** A name pattern: a glob (picomatch, `*` stops at `/`) or a regular expression (unanchored, like the seed's `re.search`). */
export type NamePattern = { glob: string } | { regex: string };

/** Which names a rule applies to: any of `include` (all when empty) and none of `exclude`. */
export interface NameSelector {
  include: NamePattern[];
  exclude: NamePattern[];
}

/** How "last N" orders tags, oldest first; tags a key cannot order are kept and reported. */
export type TagOrder = "semver" | "name" | "pushed" | "created";

/** Which clock a time condition reads: the tag's push (link mtime, offline) or the image config's `created`. */
export type TimeSource = "pushed" | "created";

/** One condition under which a rule keeps a tag. */
export type KeepCondition =
  /** The newest `count` tags by `order`, per repository or per group (the regex's captures joined; tags it does not match form one group). */
  | { kind: "last"; count: number; order: TagOrder; groupBy?: string }
  /** Tags whose name matches any pattern (e.g. `latest`, `v*`, `/^release-.*$/`). */
  | { kind: "tags"; patterns: NamePattern[] }
  /** Tags younger than `ageMs` by the given clock. */
  | { kind: "newer-than"; ageMs: number; by: TimeSource }
  /**
   * Deletion is limited to a window (the seed's `-b/-a`): only tags from before `beforeMs` and after
   * `afterMs` may go; every other tag is kept.
   */
  | { kind: "outside-window"; beforeMs?: number; afterMs?: number; by: TimeSource }
  /** Tags (and untagged manifests) whose digest is in the allow-list (e.g. what is deployed). */
  | { kind: "digests"; digests: Digest[]; source?: string };

/** One rule: a scope (repositories, tags) and what to keep in it. */
export interface RetentionRule {
  /** Shown in every decision; defaults to `rule <n>` with its line. */
  name: string;
  repositories: NameSelector;
  /** Tags the rule decides on; tags outside it are left to other rules (or kept if no rule takes them). */
  tags: NameSelector;
  keep: KeepCondition[];
  /** Delete untagged manifests of the selected repositories older than this (absent: untagged ones stay). */
  untaggedOlderThanMs?: number;
  /** 1-based line in the policy file, for messages. */
  line?: number;
}

/** Why a tag or manifest stays or goes, for the plan printout and JSON. */
export interface Decision {
  repository: string;
  /** Absent for an untagged manifest. */
  tag?: string;
  digest?: Digest;
  action: "keep" | "delete";
  /** The main cause, stable for tests and tools. */
  cause: DecisionCause;
  /** Rules that kept it (for a keep) or that wanted it gone (for a delete). */
  rules: string[];
  /** Each rule's verdict in words, e.g. `rule 'releases': among the last 3 by semver`. */
  reasons: string[];
  /** Bytes only this deletion frees (blobs no other remaining or deleted-elsewhere manifest uses), once the plan is known. */
  bytesFreed?: number;
}

/** Why a decision went the way it did, as a stable code. */
export type DecisionCause =
  /** A rule kept it, or (delete) the rules in scope did not. */
  | "rule"
  /** Not kept by a rule, and a kept tag holds the same digest: only the tag is deleted, the image stays. */
  | "shared-digest"
  /** The tag names a regsweep placeholder (an interrupted tag delete): deleted to finish it. */
  | "placeholder"
  /** No rule's tag selection includes it. */
  | "no-rule"
  /** The tag has no readable current link. */
  | "broken-tag"
  /** A referrer-convention tag (`sha256-…`) follows its subject. */
  | "referrer"
  /** An untagged child or referrer of a tagged manifest follows its parent. */
  | "follows-parent"
  /** An untagged manifest whose digest is allow-listed. */
  | "allow-list"
  /** An untagged manifest younger (keep) or older (delete) than the threshold. */
  | "untagged-age"
  /** An untagged manifest that cannot be read. */
  | "unreadable";
