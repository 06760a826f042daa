import {
  type ApplyReport,
  describeCapabilities,
  InvalidRequestError,
  NotAStorageTreeError,
  type OnlineApplyReport,
  type Plan,
  type PlanRequest,
  planDeletion,
  RepeatingSkipsError,
} from "@regsweep/cleaner";
import { SingleBar } from "cli-progress";
import pc from "picocolors";
import { LiveOnObjectStorageError, RegistryServingError } from "../cli-errors.js";
import type { CliIo } from "../cli-io.js";
import { ExitCode } from "../exit-codes.js";
import { DEFAULT_SETTLE, liveModeLine, liveOptions } from "../live-mode.js";
import { planOptionsFrom } from "../plan-options.js";
import { printPlanJson, savePlan } from "../plan-output.js";
import { readInventoryShowingProgress } from "../read-progress.js";
import { findServingRegistries, type ServingRegistry } from "../registry-serving-probe.js";
import { formatBytes, planLines, planNotes, planSummary, reportJson, reportLines } from "../render-plan.js";
import { type BackendFlags, type CliBackend, openBackend } from "./open-backend.js";

/** Options every destructive command shares. */
export interface DestructiveOptions extends BackendFlags {
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

/** Whether a request needs to see untagged manifests, which some backends never list. */
function needsUntagged(requests: PlanRequest[]): boolean {
  return requests.some((r) => r.kind === "delete-untagged" || (r.kind === "gc" && r.deleteUntagged));
}

/**
 * Plan: reads the backend's inventory and plans, completed with what only the backend knows (online: how
 * each tag goes). Changes nothing.
 */
export async function makePlan(
  backend: CliBackend,
  options: DestructiveOptions,
  requests: PlanRequest[],
  io: CliIo,
): Promise<Plan> {
  if (!backend.capabilities.listsUntagged && needsUntagged(requests) && !options.quiet)
    io.err(
      "warning: the Registry HTTP API never lists untagged manifests, so online mode cannot find them; run this offline on the storage tree (--storage or --config) to delete them",
    );
  const planOptions = planOptionsFrom(options, { folderPrunes: backend.capabilities.folderPrunes });
  const inventory = await readInventoryShowingProgress(backend, io, { quiet: Boolean(options.quiet) });
  return completePlan(backend, planDeletion(inventory, requests, planOptions), options, io);
}

/** `backend.completePlan`, its warnings on stderr (unless quiet). */
export function completePlan(
  backend: CliBackend,
  plan: Plan,
  options: { quiet?: boolean },
  io: CliIo,
): Promise<Plan> {
  return backend.completePlan(plan, (message) => {
    if (!options.quiet) io.err(`warning: ${message}`);
  });
}

/**
 * The flow of every destructive command: plan, present, then (unless a dry run or `--out`) confirm, lock,
 * apply and report. Returns the exit code.
 */
export async function planAndApply(
  options: DestructiveOptions,
  requests: PlanRequest[],
  io: CliIo,
): Promise<number> {
  await using backend = await openBackend(options, io);
  refuseLive(backend, options);
  // After a kill -9 the same command must converge: finish the interrupted plan first.
  const pending = await backend.pending();
  if (pending && !options.dryRun) {
    const code = await resumePending(backend, options, io);
    if (code !== ExitCode.ok || JSON.stringify(pending.plan.requests) === JSON.stringify(requests))
      return code;
  } else if (pending) {
    io.err("note: an earlier apply was interrupted; the next real run finishes it first (regsweep resume)");
  }
  const plan = await makePlan(backend, options, requests, io).catch(async (error: unknown) => {
    // A bucket prefix emptied by deleting everything is no tree (exit 3, said so); a run killed after its
    // last deletion left its lock or journal pieces there, and those must not be what stays.
    if (error instanceof NotAStorageTreeError && !options.dryRun) await backend.clearStaleState();
    throw error;
  });
  // Awaited here: `return promise` would dispose of the backend (close the S3 client) while it applies.
  return await presentAndApply(backend, plan, options, io);
}

/**
 * Live mode watches the tree through the filesystem's own guarantees (a link written is there at once, a
 * rename is atomic) and the registry's process on this host; on a bucket neither holds, so it is refused
 * rather than half done: stop the registry or set it read-only, then clean.
 */
export function refuseLive(backend: CliBackend, options: DestructiveOptions): void {
  if (options.live && backend.kind === "storage" && !backend.capabilities.live)
    throw new LiveOnObjectStorageError(backend.location);
}

/** Present: the plan saved (`--out`), printed as JSON (`--json`), or as lines, notes and a summary. */
async function present(backend: CliBackend, plan: Plan, options: DestructiveOptions, io: CliIo) {
  const dryRun = Boolean(options.dryRun);
  const viaApi = !backend.capabilities.deletesBlobs;
  if (options.out) {
    await savePlan(options.out, plan);
    const where = backend.kind === "http" ? ` --registry ${plan.source}` : "";
    if (!options.quiet)
      io.err(`plan saved to ${options.out}; apply it with: regsweep apply ${options.out}${where}`);
  }
  if (options.json && (dryRun || options.out)) {
    await printPlanJson(io, plan);
  } else if (!options.quiet && !options.json) {
    if (plan.registry) io.err(describeCapabilities(plan.registry));
    if (dryRun || options.verbose)
      await io.outLines(planLines(plan, { online: viaApi, noTrunc: options.trunc === false }));
    for (const line of planNotes(plan, Boolean(options.verbose))) io.err(line);
    io.out(planSummary(plan, dryRun || Boolean(options.out)));
    if (viaApi)
      io.err(
        "online: tags and manifests are deleted through the API; blobs need a garbage collection afterwards",
      );
  }
}

/**
 * Present, confirm, apply, report: a plan just made or read back (`apply <plan.json>`, a resume). Returns the
 * exit code.
 */
export async function presentAndApply(
  backend: CliBackend,
  plan: Plan,
  options: DestructiveOptions,
  io: CliIo,
): Promise<number> {
  await present(backend, plan, options, io);
  if (options.dryRun || options.out) return ExitCode.ok;
  refuseLive(backend, options);
  // Registry processes are found on this host by the folder they serve; a bucket's are elsewhere.
  const root = backend.kind === "storage" ? backend.root : undefined;
  const serving = root !== undefined ? await findServingRegistries(root) : [];
  const graceHint = youngKeptHint(plan, serving, options);
  if (plan.actions.length === 0) {
    // An earlier run killed after its last deletion left its lock (or journal pieces): nothing else would.
    await backend.clearStaleState();
    if (!options.quiet) {
      io.err("nothing to do");
      if (graceHint) io.err(graceHint);
    }
    return ExitCode.ok;
  }
  if (graceHint && !options.quiet) io.err(graceHint);
  refuseIfServed(serving, options, io);
  if (!(await confirm(options, io))) return ExitCode.ok;
  if (io.signal?.aborted) {
    io.err("interrupted before anything was deleted");
    return ExitCode.interrupted;
  }
  return withLock(await backend.lock(), io, async () => {
    const live =
      options.live && backend.capabilities.live ? await liveOptions(plan, options, serving) : undefined;
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
    let report: ApplyReport | OnlineApplyReport;
    try {
      report = await backend.apply(plan, {
        onProgress: (d, t) => bar.update(d, t),
        ...(io.signal ? { signal: io.signal } : {}),
        ...(live ? { live: live.live } : {}),
      });
    } finally {
      bar.stop();
      await live?.close();
    }
    if (options.json) io.out(reportJson(plan, report));
    else if (!options.quiet) {
      for (const line of reportLines(report)) io.out(line);
      if (isOnlineReport(report)) printOnlineReport(report, io);
      if (!backend.capabilities.deletesBlobs) io.err(reclaimHint(plan));
    }
    if (io.signal?.aborted) {
      io.err(
        backend.capabilities.journal
          ? "interrupted: stopped after the deletions in flight; what is done is journaled: run the same command again (or regsweep resume) to finish"
          : `interrupted after ${report.done} actions; run the same command again to finish (it plans afresh)`,
      );
      return ExitCode.interrupted;
    }
    // Online, a kept tag that no longer names its digest after a tag beside it went: look, then re-run.
    if (isOnlineReport(report) && report.siblingsChanged.length > 0) return ExitCode.partial;
    return exitForSkips(report);
  });
}

/**
 * Runs `fn` holding a lock, released afterwards. When `fn` failed and the release fails too (an S3 server
 * refusing every request), the release's failure is told as a warning and `fn`'s error is what the run
 * ends with: it names what went wrong first.
 */
async function withLock<T>(lock: AsyncDisposable | undefined, io: CliIo, fn: () => Promise<T>): Promise<T> {
  let result: T;
  try {
    result = await fn();
  } catch (error) {
    await Promise.resolve(lock?.[Symbol.asyncDispose]()).catch((releaseError: unknown) =>
      io.err(
        `warning: the lock stays (${(releaseError as Error).message}); the next run on this host takes it over`,
      ),
    );
    throw error;
  }
  await lock?.[Symbol.asyncDispose]();
  return result;
}

/** Whether a report comes from the HTTP API's applier (it says how each tag went). */
function isOnlineReport(report: ApplyReport): report is OnlineApplyReport {
  return "tags" in report;
}

/** Confirm: `--yes`, or a person's yes on a terminal; without either nothing is deleted. */
async function confirm(options: DestructiveOptions, io: CliIo): Promise<boolean> {
  if (options.yes) return true;
  if (!io.interactive)
    throw new InvalidRequestError(
      "refusing to delete without a terminal to confirm on: add --yes (or --dry-run to look first)",
    );
  if (await io.confirm("Apply this plan?")) return true;
  io.err("nothing deleted");
  return false;
}

/** What only an apply through the HTTP API has to say: how tags went, and what is left for a gc. */
function printOnlineReport(report: OnlineApplyReport, io: CliIo): void {
  const byPlaceholder = report.tags.filter((t) => t.method === "placeholder" && t.result === "deleted");
  if (byPlaceholder.length)
    io.out(
      `deleted alone through a placeholder (the tags sharing their digest stay): ${byPlaceholder.map((t) => `${t.repository}:${t.tag}`).join(", ")}`,
    );
  const dangling = report.tags.filter((t) => t.result === "dangling");
  if (dangling.length)
    io.out(
      pc.yellow(
        `left dangling by this registry (2.2: listed, GET 404) until an offline delete: ${dangling.map((t) => `${t.repository}:${t.tag}`).join(", ")}`,
      ),
    );
  if (report.siblingsChanged.length)
    io.out(
      pc.yellow(
        `tags on the same digest that no longer name it (pushed meanwhile?): ${report.siblingsChanged.join(", ")}`,
      ),
    );
  if (report.cascadedTags.length)
    io.out(pc.yellow(`also untagged (forced): ${report.cascadedTags.join(", ")}`));
  if (report.skipped.some((s) => s.code === "tag.shares-digest"))
    io.err("hint: add --cascade-tags to delete those tags together with the tags that share their digest");
  // Online plans have no folder prunes (the API shows no folders): every entry is work for a gc.
  const offline = Object.entries(report.offline)
    .filter(([, n]) => n > 0)
    .map(([type, n]) => `${n} ${type}`);
  if (offline.length) io.out(`left for an offline gc: ${offline.join(", ")}`);
}

/** The steps that free the bytes after an online cleanup: only garbage collection deletes blob data. */
export function reclaimHint(plan: Plan): string {
  return `to reclaim ${formatBytes(plan.summary.bytesFreed)} on disk, garbage-collect with the registry stopped or read-only: regsweep gc --storage <rootdirectory> --yes (offline), or the registry's own: registry garbage-collect <config.yml>`;
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
  backend: CliBackend,
  options: DestructiveOptions,
  io: CliIo,
): Promise<number> {
  const pending = await backend.pending();
  if (!pending) {
    io.err("no interrupted apply to resume");
    return ExitCode.ok;
  }
  io.err(
    `resuming a plan from ${new Date(pending.plan.createdAtMs).toISOString()}: ${pending.done.size}/${pending.plan.actions.length} actions were done`,
  );
  return presentAndApply(backend, pending.plan, { ...options, dryRun: false }, io);
}
