import {
  type ApplyReport,
  applyPlan,
  clearStaleLock,
  InvalidRequestError,
  Journal,
  lockStorage,
  type Plan,
  type PlanRequest,
  planDeletion,
  RepeatingSkipsError,
} from "@regsweep/cleaner";
import { SingleBar } from "cli-progress";
import { LiveOnObjectStorageError, RegistryServingError } from "./cli-errors.js";
import type { CliIo } from "./cli-io.js";
import { makeOnlinePlan, presentAndApplyOnline } from "./commands/online.js";
import { ExitCode } from "./exit-codes.js";
import { DEFAULT_SETTLE, liveModeLine, liveOptions } from "./live-mode.js";
import { planOptionsFrom } from "./plan-options.js";
import { printPlanJson, savePlan } from "./plan-output.js";
import { readStorageInventoryShowingProgress } from "./read-progress.js";
import { findServingRegistries, type ServingRegistry } from "./registry-serving-probe.js";
import type { RegistryTargetOptions } from "./registry-target.js";
import { planLines, planNotes, planSummary, reportJson, reportLines } from "./render-plan.js";
import { ioThreads, type OpenStorage, openStorage, type StorageTargetOptions } from "./storage-target.js";

/** Options every destructive command shares. */
export interface DestructiveOptions extends StorageTargetOptions, RegistryTargetOptions {
  dryRun?: boolean;
  yes?: boolean;
  json?: boolean;
  verbose?: boolean;
  quiet?: boolean;
  /** False with `--no-trunc`: whole digests in the plan's lines. */
  trunc?: boolean;
  grace?: string;
  uploadAge?: string;
  prune?: boolean;
  out?: string;
  allowRunning?: boolean;
  /** Delete while a registry serves the tree (docs/live-gc.md). */
  live?: boolean;
  settle?: string;
  allowStaleCache?: boolean;
}

function progressBar(
  io: CliIo,
  label: string,
  quiet = false,
): { update(done: number, total?: number): void; stop(): void } {
  if (!io.stderrIsTTY || quiet) return { update() {}, stop() {} };
  const bar = new SingleBar({
    format: `${label} [{bar}] {value}/{total}`,
    stream: process.stderr,
    clearOnComplete: true,
    hideCursor: true,
  });
  let started = false;
  return {
    update(done, total) {
      if (!started) {
        bar.start(total ?? done, done);
        started = true;
      }
      if (total !== undefined) bar.setTotal(total);
      bar.update(done);
    },
    stop: () => started && bar.stop(),
  };
}

/** Reads the tree and plans; pure apart from the read. Used by every destructive command and by `plan`. */
export async function makePlan(
  storage: OpenStorage,
  options: DestructiveOptions,
  requests: PlanRequest[],
  io: CliIo,
): Promise<Plan> {
  const planOptions = planOptionsFrom(options);
  const inventory = await readStorageInventoryShowingProgress(storage.target, io, {
    ...ioThreads(options),
    ...(options.quiet ? { quiet: true } : {}),
  });
  return planDeletion(inventory, requests, planOptions);
}

/**
 * The flow of every destructive command: plan, print, then (unless a dry run or `--out`) confirm, lock,
 * apply and report. Returns the exit code.
 */
export async function planAndApply(
  options: DestructiveOptions,
  requests: PlanRequest[],
  io: CliIo,
): Promise<number> {
  // Online (--registry): no journal or lock, a re-run plans afresh from what the registry shows.
  if (options.registry)
    return presentAndApplyOnline(await makeOnlinePlan(options, requests, io), options, io);
  await using storage = await openStorage(options, io.env);
  refuseLiveOnObjectStorage(storage, options);
  // After a kill -9 the same command must converge: finish the interrupted plan first.
  const pending = await Journal.pending(storage.target);
  if (pending && !options.dryRun) {
    const code = await resumePending(storage, options, io);
    if (code !== ExitCode.ok || JSON.stringify(pending.plan.requests) === JSON.stringify(requests))
      return code;
  } else if (pending) {
    io.err("note: an earlier apply was interrupted; the next real run finishes it first (regsweep resume)");
  }
  const plan = await makePlan(storage, options, requests, io);
  return presentAndApply(storage, plan, options, io);
}

/**
 * Live mode watches the tree through the filesystem's own guarantees (a link written is there at once, a
 * rename is atomic) and the registry's process on this host; on a bucket neither holds, so it is refused
 * rather than half done: stop the registry or set it read-only, then clean.
 */
export function refuseLiveOnObjectStorage(storage: OpenStorage, options: DestructiveOptions): void {
  if (options.live && storage.location.kind !== "fs") throw new LiveOnObjectStorageError(storage.name);
}

/** Prints a plan and applies it unless told not to; shared with `apply <plan.json>`. */
export async function presentAndApply(
  storage: OpenStorage,
  plan: Plan,
  options: DestructiveOptions,
  io: CliIo,
): Promise<number> {
  if (options.registry || /^https?:\/\//.test(plan.source)) return presentAndApplyOnline(plan, options, io);
  const dryRun = Boolean(options.dryRun);
  if (options.out) {
    await savePlan(options.out, plan);
    if (!options.quiet) io.err(`plan saved to ${options.out}; apply it with: regsweep apply ${options.out}`);
  }
  if (options.json && (dryRun || options.out)) {
    await printPlanJson(io, plan);
  } else if (!options.quiet) {
    if (dryRun || options.verbose) await io.outLines(planLines(plan, { noTrunc: options.trunc === false }));
    for (const line of planNotes(plan, Boolean(options.verbose))) io.err(line);
    io.out(planSummary(plan, dryRun || Boolean(options.out)));
  }
  if (dryRun || options.out) return ExitCode.ok;
  refuseLiveOnObjectStorage(storage, options);
  // Registry processes are found on this host by the folder they serve; a bucket's are elsewhere.
  const serving = storage.root !== undefined ? await findServingRegistries(storage.root) : [];
  const target = storage.target;
  const graceHint = youngKeptHint(plan, serving, options);
  if (plan.actions.length === 0) {
    // An earlier run killed after its last deletion left its lock: nothing else would ever remove it.
    await clearStaleLock(target);
    if (!options.quiet) {
      io.err("nothing to do");
      if (graceHint) io.err(graceHint);
    }
    return ExitCode.ok;
  }
  if (graceHint && !options.quiet) io.err(graceHint);
  refuseIfServed(serving, options, io);
  if (!options.yes) {
    if (!io.interactive) {
      throw new InvalidRequestError(
        "refusing to delete without a terminal to confirm on: add --yes (or --dry-run to look first)",
      );
    }
    if (!(await io.confirm("Apply this plan?"))) {
      io.err("nothing deleted");
      return ExitCode.ok;
    }
  }
  await using _lock = await lockStorage(target);
  const live = options.live ? await liveOptions(plan, options, serving) : undefined;
  if (live && !options.quiet) io.err(liveModeLine(serving, options.settle ?? DEFAULT_SETTLE));
  if (live?.cache.kind === "redis" && !options.quiet)
    io.err(
      `live mode: evicting what it deletes from the registry's redis at ${live.cache.redis.host}:${live.cache.redis.port}`,
    );
  if (options.allowStaleCache && live && live.cache.kind !== "none" && live.cache.kind !== "redis")
    io.err(
      "warning: --allow-stale-cache: restart the registry right after this run, or pushes may lose layers",
    );
  const bar = progressBar(io, "deleting", Boolean(options.quiet));
  let report: Awaited<ReturnType<typeof applyPlan>>;
  try {
    report = await applyPlan(target, plan, {
      ...ioThreads(options),
      onProgress: (d, t) => bar.update(d, t),
      ...(io.signal ? { signal: io.signal } : {}),
      ...(live ? { live: live.live } : {}),
    });
  } finally {
    bar.stop();
    await live?.close();
  }
  if (options.json) io.out(reportJson(plan, report));
  else if (!options.quiet) for (const line of reportLines(report)) io.out(line);
  if (io.signal?.aborted) {
    io.err(
      "interrupted: what is done is journaled; run the same command again (or regsweep resume) to finish",
    );
    return ExitCode.partial;
  }
  return exitForSkips(report);
}

/**
 * Exit 5 only when a re-run can get further (the tree changed meanwhile); when every skip would repeat, it
 * is a precondition the operator must fix, named with its path.
 */
export function exitForSkips(report: Pick<ApplyReport, "skipped">): number {
  if (report.skipped.length === 0) return ExitCode.ok;
  const fixes = report.skipped.flatMap((s) => (s.fix ? [s.fix] : []));
  if (fixes.length < report.skipped.length) return ExitCode.partial;
  const unique = [...new Map(fixes.map((f) => [f.path, f])).values()];
  throw new RepeatingSkipsError(unique);
}

/**
 * A plain deletion under a serving registry races with pushes (like upstream's garbage-collect): refuse,
 * unless live mode is asked for (`--live`), or the operator explicitly accepts the race (`--allow-running`).
 */
function refuseIfServed(serving: ServingRegistry[], options: DestructiveOptions, io: CliIo): void {
  if (serving.length === 0 || options.live) return;
  if (!options.allowRunning) throw new RegistryServingError(serving);
  io.err(
    `warning: a registry (pid ${serving.map((s) => s.pid).join(", ")}) serves this tree; going on because of --allow-running (pushes meanwhile may lose data: --live is the safe way)`,
  );
}

/**
 * When the plan kept young data for the grace period, the one flag that gets it deleted. With no registry
 * serving the tree on this host nothing here can be in flight, but a registry on another host sharing the
 * storage (NFS) cannot be seen: the default stays safe and the line says what to add.
 */
function youngKeptHint(
  plan: Plan,
  serving: ServingRegistry[],
  options: DestructiveOptions,
): string | undefined {
  if (
    plan.options.graceMs === 0 ||
    !plan.kept.some((k) => k.code === "kept.grace" || k.code === "kept.grace-blob")
  )
    return undefined;
  if (serving.length > 0)
    return options.live
      ? "young data may be a push in flight; to delete it anyway add --grace 0 (a push still in flight then fails and retries)"
      : "young data may be a push in flight; to delete it anyway add --grace 0 --live";
  return "no registry process serves this tree on this host: if none serves it from another host either, add --grace 0";
}

/** Finishes a plan whose apply was interrupted (kill -9, Ctrl-C), if there is one. */
export async function resumePending(
  storage: OpenStorage,
  options: DestructiveOptions,
  io: CliIo,
): Promise<number> {
  const pending = await Journal.pending(storage.target);
  if (!pending) {
    io.err("no interrupted apply to resume");
    return ExitCode.ok;
  }
  io.err(
    `resuming a plan from ${new Date(pending.plan.createdAtMs).toISOString()}: ${pending.done.size}/${pending.plan.actions.length} actions were done`,
  );
  return presentAndApply(storage, pending.plan, { ...options, dryRun: false }, io);
}
