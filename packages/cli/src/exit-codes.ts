import { RegsweepError, type RegsweepErrorCode, type ToolErrorCode } from "@regsweep/cleaner";

/** The exit codes of `regsweep`, documented in `--help` and the README. Scripts may rely on them. */
export const ExitCode = {
  ok: 0,
  /** A bug or an error regsweep did not foresee. */
  internal: 1,
  /** Bad flags, an invalid reference, a duration that is not one. */
  usage: 2,
  /** Something must be true first: the storage tree exists, the repository/tag exists, no other run holds the lock, deletes are enabled. */
  precondition: 3,
  /** Reading or writing failed: the disk, the network, the registry. */
  io: 4,
  /** The apply finished but skipped some actions that a re-run can carry out (the tree changed meanwhile). */
  partial: 5,
  /** The saved plan no longer matches the registry. */
  stale: 6,
  /**
   * Ctrl-C (SIGINT): the run stopped after the deletions in flight, the journal says what was done and a
   * re-run or `resume` finishes; 128 + SIGINT's number, what a shell reports for a process it interrupted.
   */
  interrupted: 130,
} as const;

/** One of the exit codes above. */
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** The help text's exit code table. */
export const EXIT_CODE_HELP = `Exit codes:
  0  success (a dry run that found something to delete is a success too)
  1  internal error (a bug: please report it with -v output)
  2  usage error: bad flags, invalid reference or duration, missing --yes without a terminal, --live on a bucket
  3  precondition failed: not a storage tree, no such repository/tag/manifest, tree locked by another run or served by a running registry, a folder of the tree is a symbolic link, or an apply skipped what every re-run would skip again until the entries named are fixed
  4  I/O failure on the storage tree or the registry (also an S3 server that kept throttling)
  5  partial apply: some actions were skipped because the tree changed; a re-run gets further (see the report)
  6  stale plan: the saved plan no longer matches the tree
  130  interrupted (Ctrl-C): a read stops at once (nothing deleted); an apply stops after the deletions in flight; run the same command again or resume`;

/** Every library error code's exit code: `satisfies` makes a code left out a compile error. */
const BY_CODE = {
  "reference.invalid": ExitCode.usage,
  "request.invalid": ExitCode.usage,
  "cli.usage": ExitCode.usage,
  "policy.invalid": ExitCode.usage,
  "plan.invalid": ExitCode.usage,
  "repository.not-found": ExitCode.precondition,
  "tag.not-found": ExitCode.precondition,
  "manifest.not-found": ExitCode.precondition,
  "storage.not-a-tree": ExitCode.precondition,
  "storage.locked": ExitCode.precondition,
  "storage.in-use": ExitCode.precondition,
  "live.unsupported": ExitCode.usage,
  "cache.stale": ExitCode.precondition,
  "cache.unreachable": ExitCode.io,
  "storage.symlink": ExitCode.precondition,
  "storage.io": ExitCode.io,
  "storage.throttled": ExitCode.io,
  "plan.stale": ExitCode.stale,
  "plan.blocked": ExitCode.precondition,
  "plan.other-backend": ExitCode.usage,
  "registry.delete-disabled": ExitCode.precondition,
  "registry.auth": ExitCode.io,
  "registry.unreachable": ExitCode.io,
  "registry.tls": ExitCode.io,
  "registry.http": ExitCode.io,
  "registry.protocol": ExitCode.io,
  "run.interrupted": ExitCode.interrupted,
} as const satisfies Record<ToolErrorCode, ExitCodeValue>;

/** What to exit with for an error: its code's entry, or internal for anything unknown. */
export function exitCodeFor(error: unknown): number {
  // `?? internal`: only the lab's own codes (`lab.…`) are not in the map, and the CLI never raises them.
  if (error instanceof RegsweepError)
    return (BY_CODE as Partial<Record<RegsweepErrorCode, ExitCodeValue>>)[error.code] ?? ExitCode.internal;
  return ExitCode.internal;
}

/** What to tell a tired operator to do next, for errors where there is something to do. */
export function hintFor(error: unknown): string | undefined {
  if (!(error instanceof RegsweepError)) return undefined;
  switch (error.code) {
    case "storage.not-a-tree":
      return "point --storage at the registry's rootdirectory (the folder holding docker/registry/v2), or use --config with the registry's config.yml";
    case "live.unsupported":
      return "stop the registry (or set storage.maintenance.readonly.enabled) and run without --live; restart it afterwards";
    case "storage.in-use":
      return "add --live to delete while it serves (pushes meanwhile are kept; see docs/live-gc.md), or stop the registry first";
    case "cache.stale":
      return (error as RegsweepError & { cache?: string }).cache === "inmemory"
        ? "switch the cache off (drop storage.cache.blobdescriptor, or use redis) and restart the registry, then run again; or add --allow-stale-cache and restart the registry right after the run"
        : "give the registry's config.yml with --config so regsweep can see its cache; or add --allow-stale-cache if it keeps none";
    case "cache.unreachable":
      return "regsweep evicts what it deletes from the registry's redis (the redis: section of its config): check that address and password";
    case "storage.symlink":
      return "regsweep never deletes through a symbolic link: point --storage at the real tree (bind-mount a folder that lives elsewhere instead of linking it)";
    case "plan.blocked":
      return "the rest of the plan was carried out; fix the entries named above, then run the same command again";
    case "plan.other-backend":
      return "apply it where it was made (regsweep apply <plan> without --storage, --config or --registry), or plan again here";
    case "storage.throttled":
      return "the S3 server kept answering 503 SlowDown (too many requests) through every retry: what was done is journaled; run the same command again later, or with more retries (AWS_MAX_ATTEMPTS, default 8), and check the server's rate limits";
    case "storage.locked":
      return "wait for the other regsweep run to finish; if none is running, remove the lock file named above";
    case "repository.not-found":
      return "list repositories with: regsweep ls";
    case "tag.not-found":
      return "list tags with: regsweep ls <repository>";
    case "registry.delete-disabled":
      return "deletes are disabled on this registry (HTTP 405 UNSUPPORTED): set REGISTRY_STORAGE_DELETE_ENABLED=true";
    case "registry.tls":
      return "give the registry's CA with --ca-cert, or --insecure to skip verification (only on a trusted network)";
    case "registry.auth":
      return "give credentials with --user and --password-stdin, REGSWEEP_USER/REGSWEEP_PASSWORD, or docker login";
    default:
      return undefined;
  }
}
