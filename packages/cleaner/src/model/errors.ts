/**
 * Every error the library throws, with a stable dotted code. Tests assert codes or classes, never message
 * text; only the CLI maps codes to exit codes and hints.
 */

/**
 * Every code the library and the CLI raise. A union, so that the CLI's map to exit codes is checked to be
 * exhaustive: a new code that nobody mapped fails to compile instead of silently exiting 1.
 */
export type ToolErrorCode =
  | "reference.invalid"
  | "request.invalid"
  | "cli.usage"
  | "policy.invalid"
  | "plan.invalid"
  | "plan.stale"
  | "plan.blocked"
  | "plan.other-backend"
  | "repository.not-found"
  | "tag.not-found"
  | "manifest.not-found"
  | "storage.not-a-tree"
  | "storage.locked"
  | "storage.in-use"
  | "live.unsupported"
  | "storage.io"
  | "storage.throttled"
  | "storage.symlink"
  | "registry.delete-disabled"
  | "registry.auth"
  | "registry.unreachable"
  | "registry.tls"
  | "registry.http"
  | "registry.protocol"
  | "cache.unreachable"
  | "cache.stale"
  | "run.interrupted";

/** A `RegsweepError`'s code: the tool's, or the lab's own (`lab.…`, mapped by the lab's main). */
export type RegsweepErrorCode = ToolErrorCode | `lab.${string}`;

/** Base class: a problem regsweep understood, with a stable code and the cause, if any. */
export class RegsweepError extends Error {
  readonly code: RegsweepErrorCode;
  constructor(code: RegsweepErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A repository name, tag, digest or reference that distribution's grammar rejects. */
export class InvalidReferenceError extends RegsweepError {
  constructor(message: string) {
    super("reference.invalid", message);
  }
}

/** The given path is not (or does not contain) a registry storage tree. */
export class NotAStorageTreeError extends RegsweepError {
  constructor(
    readonly path: string,
    detail: string,
  ) {
    super("storage.not-a-tree", `${path} is not a registry storage tree: ${detail}`);
  }
}

/** The repository named in a request does not exist. */
export class RepositoryNotFoundError extends RegsweepError {
  constructor(readonly repository: string) {
    super("repository.not-found", `no repository '${repository}'`);
  }
}

/** The tag named in a request does not exist in its repository. */
export class TagNotFoundError extends RegsweepError {
  constructor(
    readonly repository: string,
    readonly tag: string,
  ) {
    super("tag.not-found", `no tag '${tag}' in repository '${repository}'`);
  }
}

/** The manifest digest named in a request is not a revision of its repository. */
export class ManifestNotFoundError extends RegsweepError {
  constructor(
    readonly repository: string,
    readonly digest: string,
  ) {
    super("manifest.not-found", `no manifest ${digest} in repository '${repository}'`);
  }
}

/** A request that makes no sense as given (e.g. nothing to delete, an unknown plan version). */
export class InvalidRequestError extends RegsweepError {
  constructor(message: string) {
    super("request.invalid", message);
  }
}

/** A saved plan no longer matches the tree it was made for (some of it would be skipped). */
export class StalePlanError extends RegsweepError {
  constructor(message: string) {
    super("plan.stale", message);
  }
}

/**
 * What an apply skipped would be skipped again by every re-run until the operator fixes the entries named
 * (e.g. a signature link below a folder that is no revision keeps a blob the plan deletes); the rest of the
 * plan was carried out.
 */
export class RepeatingSkipsError extends RegsweepError {
  constructor(readonly fixes: ReadonlyArray<{ path: string; what: string }>) {
    const shown = fixes.slice(0, 5).map((f) => `\n  ${f.path}: ${f.what}`);
    const more = fixes.length > 5 ? `\n  … and ${fixes.length - 5} more` : "";
    super(
      "plan.blocked",
      `${fixes.length} skipped action${fixes.length === 1 ? "" : "s"} would be skipped again by every re-run until this is fixed:${shown.join("")}${more}`,
    );
  }
}

/** A plan file that is not what regsweep wrote, or was edited into something unsafe (a path off its action). */
export class PlanFileError extends RegsweepError {
  constructor(message: string) {
    super("plan.invalid", message);
  }
}

/**
 * A plan made for one backend given to another (a storage tree's plan to the HTTP API, or the reverse):
 * nothing is applied, since its actions and rechecks mean something else there.
 */
export class PlanBackendError extends RegsweepError {
  constructor(
    readonly planBackend: string,
    readonly backend: string,
  ) {
    super(
      "plan.other-backend",
      `this plan was made for the ${planBackend} backend and cannot be applied through the ${backend} backend`,
    );
  }
}

/** Another regsweep run holds the lock on this storage tree. */
export class LockHeldError extends RegsweepError {
  constructor(
    readonly lockPath: string,
    readonly holder: string,
  ) {
    super("storage.locked", `another regsweep run holds ${lockPath} (${holder})`);
  }
}

/** A filesystem operation failed for a reason other than the file being gone already. */
export class StorageIoError extends RegsweepError {
  constructor(
    readonly path: string,
    cause: unknown,
    doing: "change" | "read" = "change",
  ) {
    super("storage.io", `cannot ${doing} ${path}: ${(cause as Error)?.message ?? String(cause)}`, { cause });
  }
}

/**
 * An object store kept refusing requests as too many (503 SlowDown, 429) through every retry: nothing is
 * wrong with the tree, the server wants fewer requests. What was done before is journaled.
 */
export class StorageThrottledError extends RegsweepError {
  constructor(
    readonly path: string,
    cause: unknown,
    doing: "change" | "read" = "change",
  ) {
    super(
      "storage.throttled",
      `cannot ${doing} ${path}: the server kept throttling (${(cause as Error)?.message ?? String(cause)}) through every retry`,
      { cause },
    );
  }
}

/**
 * The read was stopped (Ctrl-C) before a plan was made: nothing was deleted, and the next run starts afresh.
 * Reading a bucket of a million keys takes minutes; a Ctrl-C must not wait for it to end.
 */
export class ReadInterruptedError extends RegsweepError {
  constructor(readonly location: string) {
    super("run.interrupted", `interrupted while reading ${location}: nothing was deleted`);
  }
}

/** The registry's blob descriptor cache cannot be kept in step with a live deletion (unreachable, refused). */
export class DescriptorCacheError extends RegsweepError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("cache.unreachable", message, options);
  }
}

/**
 * A live deletion of blobs was refused: the registry keeps an in-memory blob descriptor cache (or one regsweep
 * cannot read), which would go on answering "exists" for what is deleted.
 */
export class StaleCacheError extends RegsweepError {
  constructor(
    readonly cache: string,
    message: string,
  ) {
    super("cache.stale", message);
  }
}

/**
 * A folder of the tree's skeleton (`docker/registry/v2`, its `blobs/` or `repositories/`) is a symbolic link:
 * deleting through it would change files outside the storage root, so nothing is read or deleted.
 */
export class StorageSymlinkError extends RegsweepError {
  constructor(
    readonly path: string,
    readonly target: string,
  ) {
    super("storage.symlink", `${path} is a symbolic link (to ${target}); regsweep never follows links`);
  }
}
