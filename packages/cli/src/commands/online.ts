import {
  applyOnlinePlan,
  describeCapabilities,
  InvalidRequestError,
  type OnlineApplyOptions,
  type Plan,
  type PlanRequest,
  planDeletion,
  planTagMethods,
  probeRegistry,
  RegistryAuthError,
  type RegistryClient,
} from "@regsweep/cleaner";
import pc from "picocolors";
import type { CliIo } from "../cli-io.js";
import { ExitCode } from "../exit-codes.js";
import { planOptionsFrom } from "../plan-options.js";
import { printPlanJson, savePlan } from "../plan-output.js";
import { readRegistryInventoryShowingProgress } from "../read-progress.js";
import { registryClientFor } from "../registry-target.js";
import { formatBytes, planLines, planNotes, planSummary, reportJson, reportLines } from "../render-plan.js";
import type { DestructiveOptions } from "../run-plan.js";

/** What an online run needs besides the shared destructive options. */
interface OnlineOptions extends DestructiveOptions {
  cascadeTags?: boolean;
  deleteLayers?: boolean;
}

/** Whether a request needs to see untagged manifests, which the Registry HTTP API never lists. */
function needsUntagged(requests: PlanRequest[]): boolean {
  return requests.some((r) => r.kind === "delete-untagged" || (r.kind === "gc" && r.deleteUntagged));
}

/** Reads the registry over HTTP and plans; the same planner as offline. */
export async function makeOnlinePlan(
  options: OnlineOptions,
  requests: PlanRequest[],
  io: CliIo,
): Promise<Plan> {
  if (options.password !== undefined && !options.quiet)
    io.err(
      "warning: a password given with -P is visible to other users of this machine; prefer --password-stdin",
    );
  if (needsUntagged(requests) && !options.quiet)
    io.err(
      "warning: the Registry HTTP API never lists untagged manifests, so online mode cannot find them; run this offline on the storage tree (--storage or --config) to delete them",
    );
  const client = await registryClientFor(options, io.env, io.signal);
  try {
    // No --prune online: the registry's storage has no folders this side of the API.
    const planOptions = planOptionsFrom({ ...options, prune: false });
    // The whole registry, always: whether a blob is still used depends on every repository.
    const inventory = await readRegistryInventoryShowingProgress(client, io, {
      ...(options.quiet ? { quiet: true } : {}),
    });
    return await withTagMethods(client, planDeletion(inventory, requests, planOptions), options, io);
  } finally {
    client.close();
  }
}

/**
 * Probes the registry (harmless requests for things that do not exist) and names on every tag action how the
 * API will delete it, so the printed plan is what apply does. A user without delete rights still gets a
 * plan: apply then chooses the methods itself.
 */
export async function withTagMethods(
  client: RegistryClient,
  plan: Plan,
  options: { cascadeTags?: boolean; quiet?: boolean },
  io: CliIo,
): Promise<Plan> {
  const repository = plan.actions.find((a) => a.type === "tag" || a.type === "revision") as
    | { repository: string }
    | undefined;
  if (!repository) return plan;
  try {
    const caps = await probeRegistry(client, repository.repository);
    return planTagMethods(plan, caps, { cascadeTags: Boolean(options.cascadeTags) });
  } catch (error) {
    if (!(error instanceof RegistryAuthError)) throw error;
    if (!options.quiet) io.err(`warning: could not probe what the registry can delete: ${error.message}`);
    return plan;
  }
}

/**
 * A test hook: with REGSWEEP_TEST_PAUSE_AFTER_PLACEHOLDER_PUT=<file>, the process writes <file> once a tag
 * names its placeholder and then waits, so a test can kill -9 it between the PUT and the DELETE.
 */
function placeholderHooks(env: NodeJS.ProcessEnv): OnlineApplyOptions["placeholder"] {
  const marker = env.REGSWEEP_TEST_PAUSE_AFTER_PLACEHOLDER_PUT;
  if (!marker) return undefined;
  return {
    afterPut: async (repository, tag, placeholder) => {
      const { writeFile } = await import("node:fs/promises");
      await writeFile(marker, `${repository}:${tag} ${placeholder}\n`);
      // A pending promise alone would let the process end: a timer keeps it waiting for the kill.
      await new Promise(() => setInterval(() => {}, 60_000));
    },
  };
}

/** The steps that free the bytes after an online cleanup: only garbage collection deletes blob data. */
export function reclaimHint(plan: Plan): string {
  return `to reclaim ${formatBytes(plan.summary.bytesFreed)} on disk, garbage-collect with the registry stopped or read-only: regsweep gc --storage <rootdirectory> --yes (offline), or the registry's own: registry garbage-collect <config.yml>`;
}

/** Prints an online plan and applies it through the HTTP API unless told not to. Returns the exit code. */
export async function presentAndApplyOnline(plan: Plan, options: OnlineOptions, io: CliIo): Promise<number> {
  const dryRun = Boolean(options.dryRun);
  if (options.out) {
    await savePlan(options.out, plan);
    if (!options.quiet)
      io.err(
        `plan saved to ${options.out}; apply it with: regsweep apply ${options.out} --registry ${plan.source}`,
      );
  }
  if (options.json && (dryRun || options.out)) await printPlanJson(io, plan);
  else if (!options.quiet && !options.json) {
    if (plan.registry) io.err(describeCapabilities(plan.registry));
    if (dryRun || options.verbose)
      await io.outLines(planLines(plan, { online: true, noTrunc: options.trunc === false }));
    for (const line of planNotes(plan, Boolean(options.verbose))) io.err(line);
    io.out(planSummary(plan, dryRun || Boolean(options.out)));
    io.err(
      "online: tags and manifests are deleted through the API; blobs need a garbage collection afterwards",
    );
  }
  if (dryRun || options.out) return ExitCode.ok;
  if (plan.actions.length === 0) {
    if (!options.quiet) io.err("nothing to do");
    return ExitCode.ok;
  }
  if (!options.yes) {
    if (!io.interactive)
      throw new InvalidRequestError(
        "refusing to delete without a terminal to confirm on: add --yes (or --dry-run to look first)",
      );
    if (!(await io.confirm("Apply this plan?"))) {
      io.err("nothing deleted");
      return ExitCode.ok;
    }
  }
  const client = await registryClientFor(
    { ...options, registry: options.registry ?? plan.source },
    io.env,
    io.signal,
  );
  try {
    const report = await applyOnlinePlan(client, plan, {
      ...(options.cascadeTags ? { force: true } : {}),
      ...(options.deleteLayers ? { deleteLayers: true } : {}),
      ...(io.signal ? { signal: io.signal } : {}),
      ...(placeholderHooks(io.env) ? { placeholder: placeholderHooks(io.env) } : {}),
    });
    if (options.json) {
      io.out(reportJson(plan, report));
    } else if (!options.quiet) {
      for (const line of reportLines(report)) io.out(line);
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
        io.err(
          "hint: add --cascade-tags to delete those tags together with the tags that share their digest",
        );
      // Empty-folder removals are bookkeeping, not space: only mention what an offline gc really frees.
      const offline = Object.entries(report.offline)
        .filter(([type, n]) => type !== "prune" && n > 0)
        .map(([type, n]) => `${n} ${type}`);
      if (offline.length) io.out(`left for an offline gc: ${offline.join(", ")}`);
      io.err(reclaimHint(plan));
    }
    if (io.signal?.aborted) {
      io.err(
        `interrupted after ${report.done} actions; run the same command again to finish (it plans afresh)`,
      );
      return ExitCode.partial;
    }
    return report.skipped.length > 0 || report.siblingsChanged.length > 0 ? ExitCode.partial : ExitCode.ok;
  } finally {
    client.close();
  }
}
