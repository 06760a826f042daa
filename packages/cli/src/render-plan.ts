import {
  type ApplyReport,
  actionPath,
  actionStrays,
  describeChange,
  type Plan,
  type PlanAction,
} from "@regsweep/cleaner";
import pc from "picocolors";
import prettyBytes from "pretty-bytes";
import { type Column, listingLines, shortDigest } from "./listing-lines.js";

/** Sizes as people read them (decimal units, like `du --si`). */
export function formatBytes(n: number): string {
  return prettyBytes(n);
}

/** What an action does, as the plan's first column says it. */
const VERBS: Record<PlanAction["type"], string> = {
  tag: "delete tag",
  "tag-index-entry": "delete history",
  revision: "delete manifest",
  "layer-link": "unlink layer",
  upload: "delete upload",
  "multipart-upload": "abort multipart",
  blob: "delete blob",
  prune: "remove folder",
};

/** The columns of a plan's lines; `-` where an action has nothing to say. */
function planColumns(plan: Plan, online: boolean, noTrunc: boolean): Array<Column<PlanAction>> {
  const digest = (d: string | undefined) => (d ? shortDigest(d, noTrunc) : "-");
  return [
    { header: "ACTION", key: "type", text: (a) => VERBS[a.type] },
    { header: "REPOSITORY", key: "repository", text: (a) => ("repository" in a ? a.repository : "-") },
    { header: "TAG", key: "tag", text: (a) => ("tag" in a ? a.tag : "-") },
    {
      header: "DIGEST",
      key: "digest",
      text: (a) =>
        a.type === "tag"
          ? digest(a.current)
          : a.type === "upload" || a.type === "multipart-upload"
            ? a.upload
            : "digest" in a
              ? digest(a.digest)
              : "-",
    },
    { header: "SIZE", key: "bytes", text: (a) => ("bytes" in a ? formatBytes(a.bytes) : "-") },
    {
      header: "REASON",
      key: "reason",
      // Online, how the API deletes each tag; last, so its colour codes never skew a width.
      text: (a) => (online && a.type === "tag" ? `${a.reason}${tagMethodText(a, plan)}` : a.reason),
    },
  ];
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
 * The plan's deletions as aligned columns under one header, in the order apply makes them (empty-folder
 * removals summed up), made a line at a time: a 300k-action plan never becomes 300k strings at once (the
 * widths take a pass over the actions first). Online, only what the API deletes is listed; the blob data it
 * frees is summed up as work for a gc. Digests are shortened to 12 hex characters unless `noTrunc`.
 */
export function* planLines(
  plan: Plan,
  options: { online?: boolean; noTrunc?: boolean } = {},
): Generator<string> {
  let blobs = 0;
  let blobBytes = 0;
  let prunes = 0;
  for (const a of plan.actions) {
    if (a.type === "blob") {
      blobs++;
      blobBytes += a.bytes;
    } else if (a.type === "prune") prunes++;
  }
  const listed = (a: PlanAction) => a.type !== "prune" && (!options.online || ONLINE_TYPES.has(a.type));
  const rows: Iterable<PlanAction> = {
    *[Symbol.iterator]() {
      for (const a of plan.actions) if (listed(a)) yield a;
    },
  };
  if (plan.actions.some(listed))
    yield* listingLines(rows, planColumns(plan, Boolean(options.online), Boolean(options.noTrunc)), {
      format: "table",
    });
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
    ...(s.multipartUploads
      ? [`${s.multipartUploads} multipart upload${s.multipartUploads === 1 ? "" : "s"} (aborted)`]
      : []),
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
  const own = new Set(["kept.young-upload", "kept.unread-link"]);
  const kept = plan.kept.filter((k) => k.repository !== "" && !own.has(k.code));
  const youngUploads = plan.kept.filter((k) => k.code === "kept.young-upload");
  const unread = plan.kept.filter((k) => k.code === "kept.unread-link");
  if (kept.length) {
    notes.push(`kept ${kept.length} manifest${kept.length === 1 ? "" : "s"} the request touched:`);
    for (const k of verbose ? kept : kept.slice(0, 10))
      notes.push(`  ${k.repository}@${k.digest}: ${k.reason}`);
    if (!verbose && kept.length > 10) notes.push(`  … and ${kept.length - 10} more (-v lists them all)`);
  }
  const youngBlobs = plan.kept.length - kept.length - youngUploads.length - unread.length;
  if (youngBlobs)
    notes.push(
      `kept ${youngBlobs} unreferenced blob${youngBlobs === 1 ? "" : "s"} younger than the grace period`,
    );
  if (youngUploads.length)
    notes.push(
      `kept ${youngUploads.length} multipart upload${youngUploads.length === 1 ? "" : "s"} younger than the upload age (--upload-age)`,
    );
  if (unread.length) {
    // Every one of them: each names a folder only the operator can fix.
    notes.push(
      pc.yellow(
        `kept ${unread.length} blob${unread.length === 1 ? "" : "s"} named by links no repository reads (fix the folder named to let ${unread.length === 1 ? "it" : "them"} go):`,
      ),
    );
    for (const k of unread) notes.push(`  ${k.digest}: ${k.reason}`);
  }
  if (plan.findings.length) {
    notes.push(
      pc.yellow(
        `${plan.findings.length} problem${plan.findings.length === 1 ? "" : "s"} found in the tree (kept, never deleted; see regsweep check):`,
      ),
    );
    for (const f of verbose ? plan.findings : plan.findings.slice(0, 5))
      notes.push(`  ${f.code} ${f.path}: ${f.detail}`);
  }
  // Stray entries are kept, except in a folder the plan removes: say which go, so nothing goes unsaid.
  const strays = plan.actions.flatMap((a) => actionStrays(a));
  if (strays.length) {
    notes.push(
      `${strays.length} stray entr${strays.length === 1 ? "y goes" : "ies go"} with the folder${strays.length === 1 ? "" : "s"} the plan removes (if nothing else is left in them):`,
    );
    for (const path of verbose ? strays : strays.slice(0, 5)) notes.push(`  ${path}`);
    if (!verbose && strays.length > 5) notes.push(`  … and ${strays.length - 5} more (-v lists them all)`);
  }
  return notes;
}

/** The report after an apply. */
export function reportLines(report: ApplyReport): string[] {
  const n = report.multipartUploadsAborted ?? 0;
  const aborted = n ? `, ${n} multipart upload${n === 1 ? "" : "s"} aborted` : "";
  const lines = [
    `done: ${report.done} actions, ${formatBytes(report.bytesFreed)} freed${aborted}${report.alreadyGone ? ` (${report.alreadyGone} were already done)` : ""}`,
  ];
  // One line per changed repository, naming the change, so the operator sees why a re-run will help.
  for (const change of report.changes) {
    lines.push(
      pc.yellow(`skipped repository ${change.repository}: ${describeChange(change)} (re-run to plan again)`),
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
