import { type ApplyReport, actionPath, type Plan, type PlanAction } from "@regsweep/cleaner";
import pc from "picocolors";
import prettyBytes from "pretty-bytes";

/** Sizes as people read them (decimal units, like `du --si`). */
export function formatBytes(n: number): string {
  return prettyBytes(n);
}

function describe(a: PlanAction): string | undefined {
  switch (a.type) {
    case "tag":
      return `delete tag       ${a.repository}:${a.tag}${a.current ? ` (${a.current})` : ""} — ${a.reason}`;
    case "tag-index-entry":
      return `delete history   ${a.repository}:${a.tag} → ${a.digest} — ${a.reason}`;
    case "revision":
      return `delete manifest  ${a.repository}@${a.digest} — ${a.reason}`;
    case "layer-link":
      return `unlink layer     ${a.repository} ${a.digest} — ${a.reason}`;
    case "upload":
      return `delete upload    ${a.repository} ${a.upload} (${formatBytes(a.bytes)}) — ${a.reason}`;
    case "blob":
      return `delete blob      ${a.digest} (${formatBytes(a.bytes)}) — ${a.reason}`;
    case "prune":
      return undefined;
  }
}

/** How the API deletes a tag, as the plan names it (online). */
function tagMethodText(a: PlanAction & { type: "tag" }, plan: Plan): string {
  if (a.blocked) return pc.yellow(` [cannot delete here: ${a.blocked}]`);
  switch (a.method) {
    case "tag-delete":
      return " [by tag]";
    case "placeholder":
      return " [alone, through a placeholder]";
    case "digest": {
      const cascade = a.cascades?.length
        ? pc.yellow(`, also untagging ${a.cascades.map((t) => `'${t}'`).join(", ")} (--cascade-tags)`)
        : "";
      const dangles =
        plan.registry && !plan.registry.untagsOnDigestDelete
          ? pc.yellow(" — registry 2.2 leaves the tag dangling (listed, GET 404) until an offline delete")
          : "";
      return ` [by digest, with its manifest${cascade}]${dangles}`;
    }
    default:
      return "";
  }
}

/** What the Registry HTTP API can delete; the rest of an online plan is left for a garbage collection. */
const ONLINE_TYPES = new Set<PlanAction["type"]>(["tag", "revision", "layer-link"]);

/**
 * One line per deletion the plan makes, in the order apply makes them (empty-folder removals summed up),
 * made one at a time: a 300k-action plan never becomes 300k strings at once.
 * Online, only what the API deletes is listed; the blob data it frees is summed up as work for a gc.
 */
export function* planLines(plan: Plan, options: { online?: boolean } = {}): Generator<string> {
  let blobs = 0;
  let blobBytes = 0;
  let prunes = 0;
  for (const a of plan.actions) {
    if (a.type === "blob") {
      blobs++;
      blobBytes += a.bytes;
    } else if (a.type === "prune") prunes++;
    if (options.online && !ONLINE_TYPES.has(a.type)) continue;
    const line = describe(a);
    if (line) yield options.online && a.type === "tag" ? `${line}${tagMethodText(a, plan)}` : line;
  }
  if (options.online) {
    if (blobs > 0) yield `then a garbage collection can free ${blobs} blobs (${formatBytes(blobBytes)})`;
  } else if (prunes > 0) yield `remove up to ${prunes} folders left empty`;
}

/** The summary an operator reads before saying yes. */
export function planSummary(plan: Plan, dryRun: boolean): string {
  const s = plan.summary;
  const parts = [
    `${s.tags} tag${s.tags === 1 ? "" : "s"}`,
    `${s.manifests} manifest${s.manifests === 1 ? "" : "s"}`,
    `${s.layerLinks} layer link${s.layerLinks === 1 ? "" : "s"}`,
    `${s.blobs} blob${s.blobs === 1 ? "" : "s"}`,
    ...(s.uploads ? [`${s.uploads} upload${s.uploads === 1 ? "" : "s"}`] : []),
  ];
  const verb = dryRun ? "would delete" : "will delete";
  const repos = s.repositoriesRemoved.length
    ? `; repositories emptied: ${s.repositoriesRemoved.join(", ")}`
    : "";
  return `${pc.bold(`regsweep ${verb}`)} ${parts.join(", ")} — ${pc.bold(formatBytes(s.bytesFreed))} freed${repos}`;
}

/** Notes on what the plan kept although the request touched it, and what it found wrong. */
export function planNotes(plan: Plan, verbose: boolean): string[] {
  const notes: string[] = [];
  const kept = plan.kept.filter((k) => k.repository !== "");
  if (kept.length) {
    notes.push(`kept ${kept.length} manifest${kept.length === 1 ? "" : "s"} the request touched:`);
    for (const k of verbose ? kept : kept.slice(0, 10))
      notes.push(`  ${k.repository}@${k.digest}: ${k.reason}`);
    if (!verbose && kept.length > 10) notes.push(`  … and ${kept.length - 10} more (-v lists them all)`);
  }
  const youngBlobs = plan.kept.length - kept.length;
  if (youngBlobs)
    notes.push(
      `kept ${youngBlobs} unreferenced blob${youngBlobs === 1 ? "" : "s"} younger than the grace period`,
    );
  if (plan.findings.length) {
    notes.push(
      pc.yellow(
        `${plan.findings.length} problem${plan.findings.length === 1 ? "" : "s"} found in the tree (kept, never deleted; see regsweep check):`,
      ),
    );
    for (const f of verbose ? plan.findings : plan.findings.slice(0, 5))
      notes.push(`  ${f.code} ${f.path}: ${f.detail}`);
  }
  return notes;
}

/** The report after an apply. */
export function reportLines(report: ApplyReport): string[] {
  const lines = [
    `done: ${report.done} actions, ${formatBytes(report.bytesFreed)} freed${report.alreadyGone ? ` (${report.alreadyGone} were already done)` : ""}`,
  ];
  if (report.staleRepositories.length) {
    lines.push(
      pc.yellow(
        `skipped repositories that changed since planning: ${report.staleRepositories.join(", ")} (re-run to plan again)`,
      ),
    );
  }
  const other = report.skipped.filter(
    (s) => !("repository" in s.action) || !report.staleRepositories.includes(s.action.repository),
  );
  for (const s of other) lines.push(pc.yellow(`skipped ${actionPath(s.action)}: ${s.why}`));
  if (report.live) {
    const l = report.live;
    lines.push(
      `live: ${l.marks} marks, ${l.held} held back, ${l.restored} put back for pushes, ${l.superseded} rewritten by pushes, ${l.cacheKeysEvicted} cache keys evicted`,
    );
  }
  return lines;
}

/**
 * The one JSON report of an apply, offline and online alike: the plan's summary and the report, every
 * skipped action as `{ action, path, why, code }`.
 */
export function reportJson(plan: Plan, report: ApplyReport): string {
  return JSON.stringify(
    {
      plan: plan.summary,
      report: {
        ...report,
        skipped: report.skipped.map((s) => ({
          action: s.action.type,
          path: actionPath(s.action),
          ...("tag" in s.action ? { tag: `${s.action.repository}:${s.action.tag}` } : {}),
          why: s.why,
          code: s.code,
        })),
      },
    },
    null,
    2,
  );
}
