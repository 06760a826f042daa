import { readFile } from "node:fs/promises";
import {
  attributeFreedBytes,
  type Decision,
  InvalidRequestError,
  type KeepCondition,
  loadPolicy,
  type NamePattern,
  type Plan,
  parseDigestList,
  parseDuration,
  parseWindowDate,
  planDeletion,
  planRetention,
  type RetentionPolicy,
  type RetentionRule,
  type TagOrder,
} from "@regsweep/cleaner";
import { type Command, Option } from "commander";
import type { CliIo } from "../cli-io.js";
import { ExitCode } from "../exit-codes.js";
import { openBackend } from "../flow/open-backend.js";
import {
  completePlan,
  type DestructiveOptions,
  presentAndApply,
  refuseLive,
  resumePending,
} from "../flow/plan-flow.js";
import { planOptionsFrom } from "../plan-options.js";
import { readInventoryShowingProgress } from "../read-progress.js";
import { formatBytes } from "../render-plan.js";
import { addDestructiveOptions, addStorageOptions } from "./shared-options.js";

interface RetainOptions extends DestructiveOptions {
  policy?: string;
  image?: string;
  include?: string;
  exclude?: string;
  last?: string;
  order?: string;
  before?: string;
  after?: string;
  keep?: string[];
  untaggedOlderThan?: string;
  newerThan?: string;
  groupBy?: string;
  digests?: string;
  /** The seed's name for --registry. */
  registryUrl?: string;
  cascadeTags?: boolean;
  deleteLayers?: boolean;
}

/** Rule flags other than --image; they need --image to say which repositories they apply to. */
const RULE_FLAGS = [
  "include",
  "exclude",
  "last",
  "before",
  "after",
  "keep",
  "untaggedOlderThan",
  "newerThan",
  "groupBy",
  "digests",
];

const ORDERS: Record<string, TagOrder> = {
  name: "name",
  date: "created",
  semver: "semver",
  pushed: "pushed",
  created: "created",
};

/** A keep pattern from the command line: `/regex/` or a glob. */
function pattern(text: string): NamePattern {
  return text.length > 2 && text.startsWith("/") && text.endsWith("/")
    ? { regex: text.slice(1, -1) }
    : { glob: text };
}

/** The one-off rule the seed's clean_old_versions flags describe, if `--image` is given. */
export async function flagRule(options: RetainOptions): Promise<RetentionRule | undefined> {
  if (options.image === undefined) {
    const stray = RULE_FLAGS.filter((k) => options[k as keyof RetainOptions] !== undefined);
    if (stray.length > 0)
      throw new InvalidRequestError(
        "rule flags need --image <regex> (which repositories they apply to); or put the rule in --policy",
      );
    return undefined;
  }
  const count = Number(options.last ?? "5");
  if (!Number.isInteger(count) || count < 0)
    throw new InvalidRequestError(`--last must be a whole number ≥ 0, not '${options.last}'`);
  const order = ORDERS[options.order ?? "name"];
  if (!order) throw new InvalidRequestError(`--order must be one of ${Object.keys(ORDERS).join(", ")}`);
  const keep: KeepCondition[] = [
    { kind: "last", count, order, ...(options.groupBy !== undefined ? { groupBy: options.groupBy } : {}) },
  ];
  if (options.newerThan !== undefined)
    keep.push({
      kind: "newer-than",
      ageMs: parseDuration(options.newerThan),
      by: order === "created" ? "created" : "pushed",
    });
  if (options.digests !== undefined) {
    let text: string;
    try {
      text = await readFile(options.digests, "utf8");
    } catch (error) {
      throw new InvalidRequestError(`cannot read --digests ${options.digests}: ${(error as Error).message}`);
    }
    keep.push({ kind: "digests", digests: parseDigestList(text, options.digests), source: options.digests });
  }
  if (options.before !== undefined || options.after !== undefined)
    keep.push({
      kind: "outside-window",
      ...(options.before !== undefined ? { beforeMs: parseWindowDate(options.before) } : {}),
      ...(options.after !== undefined ? { afterMs: parseWindowDate(options.after) } : {}),
      by: "created",
    });
  if (options.keep && options.keep.length > 0)
    keep.push({ kind: "tags", patterns: options.keep.map(pattern) });
  return {
    name: "command line",
    repositories: { include: [{ regex: options.image }], exclude: [] },
    tags: {
      include: options.include !== undefined ? [{ regex: options.include }] : [],
      exclude: options.exclude !== undefined ? [{ regex: options.exclude }] : [],
    },
    keep,
    ...(options.untaggedOlderThan !== undefined
      ? { untaggedOlderThanMs: parseDuration(options.untaggedOlderThan) }
      : {}),
  };
}

/** One line per decision: what stays or goes and why, with the bytes only that deletion frees. */
export function decisionLines(decisions: Decision[], verbose: boolean): string[] {
  return decisions
    .filter((d) => verbose || d.action === "delete" || d.cause !== "no-rule")
    .map((d) => {
      const what = d.tag !== undefined ? `${d.repository}:${d.tag}` : `${d.repository}@${d.digest}`;
      const bytes = d.bytesFreed ? ` (${formatBytes(d.bytesFreed)} unique)` : "";
      return `${d.action === "keep" ? "keep  " : "delete"} ${what}${bytes} — ${d.reasons.join("; ")}`;
    });
}

/** Whether some rule orders or filters by image creation time (only then are config blobs read). */
function usesCreated(policy: RetentionPolicy): boolean {
  return policy.rules.some((r) =>
    r.keep.some((c) => (c.kind === "last" ? c.order === "created" : "by" in c && c.by === "created")),
  );
}

/**
 * Says, on each tag the retention deletes, how an online apply will delete it (the method `planTagMethods`
 * named on its tag action): alone through a placeholder on 2.x, by digest with the kept tags on it
 * (`--cascade-tags`), or not at all where the API cannot (and why).
 */
export function onlineTagNotes(decisions: Decision[], plan: Plan): Decision[] {
  const tagActions = new Map(
    plan.actions.flatMap((a) => (a.type === "tag" ? [[`${a.repository}:${a.tag}`, a] as const] : [])),
  );
  return decisions.map((d) => {
    if (d.action !== "delete" || d.tag === undefined) return d;
    const a = tagActions.get(`${d.repository}:${d.tag}`);
    const note = a?.blocked
      ? `this registry cannot delete it here (${a.blocked}): this tag will be skipped`
      : a?.method === "placeholder"
        ? "online: deleted alone through a placeholder manifest (the tags on its digest stay)"
        : a?.method === "digest" && a.cascades?.length
          ? `online: --cascade-tags deletes it by digest and also untags kept tag(s) ${a.cascades.map((t) => `'${t}'`).join(", ")}`
          : undefined;
    return note ? { ...d, reasons: [...d.reasons, note] } : d;
  });
}

/** Prints the decisions and what they ask for when nothing is to be deleted. */
function printNothingToDelete(decisions: Decision[], options: RetainOptions, io: CliIo): void {
  if (options.json) io.out(JSON.stringify({ decisions, actions: [] }, null, 2));
  else if (!options.quiet) {
    for (const line of decisionLines(decisions, Boolean(options.verbose))) io.out(line);
    io.err("nothing to delete: the policy keeps everything");
  }
}

/**
 * The same policy and planner on whichever backend the flags name; offline it finishes an interrupted apply
 * first, online it deletes through the API (and the plan says how each tag goes).
 */
async function retain(policy: RetentionPolicy, options: RetainOptions, io: CliIo): Promise<number> {
  await using backend = await openBackend(options, io);
  refuseLive(backend, options);
  // After a kill -9 the same command must converge: finish the interrupted plan first.
  const pending = await backend.pending();
  if (pending && !options.dryRun) {
    const code = await resumePending(backend, options, io);
    if (code !== ExitCode.ok) return code;
  }
  const inventory = await readInventoryShowingProgress(backend, io, { quiet: Boolean(options.quiet) });
  const nowMs = Date.now();
  // Config blobs are read only when some rule orders or filters by image creation time.
  const createdAt = usesCreated(policy) ? await backend.readCreatedTimes(inventory) : new Map();
  const retention = planRetention(inventory, policy, { nowMs, createdAt });
  if (retention.requests.length === 0) {
    printNothingToDelete(retention.decisions, options, io);
    return ExitCode.ok;
  }
  const planOptions = planOptionsFrom(options, { nowMs, folderPrunes: backend.capabilities.folderPrunes });
  let plan = planDeletion(inventory, retention.requests, planOptions);
  let decisions = attributeFreedBytes(retention.decisions, plan, inventory);
  plan = await completePlan(backend, plan, options, io);
  decisions = onlineTagNotes(decisions, plan);
  if (!options.quiet && !options.json)
    for (const line of decisionLines(decisions, Boolean(options.verbose))) io.out(line);
  // Decisions travel with the plan (saved with --out, printed with --json); apply ignores them.
  return presentAndApply(backend, Object.assign(plan, { decisions }), options, io);
}

async function readPolicy(options: RetainOptions): Promise<RetentionPolicy> {
  const rules: RetentionRule[] = [];
  if (options.policy !== undefined) {
    rules.push(...(await loadPolicy(options.policy)).rules);
  }
  const flags = await flagRule(options);
  if (flags) rules.push(flags);
  if (rules.length === 0)
    throw new InvalidRequestError(
      "say what to keep: --policy <file.yml>, or --image <regex> with the rule flags",
    );
  return { rules };
}

/** `regsweep retain`: apply a retention policy (a YAML file, or the seed's clean_old_versions flags). */
export function retainCommand(program: Command, io: CliIo, setExit: (code: number) => void): void {
  const cmd = program
    .command("retain")
    .description(
      "keep what a retention policy says (last N, patterns, age, allow-listed digests) and delete the rest",
    )
    .option("-p, --policy <file>", "the retention policy (YAML; cleanreg's repositories file works too)")
    .option("-i, --image <regex>", "one-off rule: repositories matching this regex (the seed's --image)")
    .option("-E, --include <regex>", "only tags matching this regex are candidates")
    .option("-e, --exclude <regex>", "tags matching this regex are never candidates")
    .option("-l, --last <n>", "keep the last N candidate tags (default 5, like the seed)")
    .addOption(
      new Option("-o, --order <order>", "how --last orders tags (date = image creation time)").choices(
        Object.keys(ORDERS),
      ),
    )
    .option("-b, --before <date>", "only delete tags created before this (YYYY-MM-DDTHH:mm:ss, UTC)")
    .option("-a, --after <date>", "only delete tags created after this")
    .option(
      "--keep <pattern>",
      "also keep tags matching this glob or /regex/; repeatable",
      (v: string, all: string[] = []) => [...all, v],
    )
    .option("--untagged-older-than <duration>", "also delete untagged manifests older than this (e.g. 7d)")
    .option(
      "--newer-than <duration>",
      "also keep tags younger than this (push time; creation time with -o date)",
    )
    .option("--group-by <regex>", "count --last per group: the regex's captures name it (e.g. '^([a-z]+)-')")
    .option(
      "--digests <file>",
      "also keep tags and manifests whose digest is listed (one per line, e.g. what is deployed)",
    )
    .option("--registry-url <url>", "the same as --registry (the seed's clean_old_versions flag)");
  addStorageOptions(cmd);
  addDestructiveOptions(cmd);
  cmd.addHelpText(
    "after",
    `
Examples:
  regsweep retain --storage /var/lib/registry --policy retention.yml --dry-run
  regsweep retain --storage /var/lib/registry --image '^repo/sitor' --include '^0\\.1\\.' -l 2 \\
      -b 2016-06-25T12:00:00 -a 2016-01-01T00:00:00 --dry-run     # the seed's clean_old_versions example
  regsweep retain --storage /var/lib/registry --image '^app/' -l 10 -o semver --keep latest --out plan.json
  regsweep retain --registry-url http://127.0.0.1:5000 --image 'busybox/busy' --include '.*' -l 4 --yes
      # online, through the HTTP API (-U/-P for basic auth); blobs need a garbage collection afterwards`,
  );
  cmd.action(async (options: RetainOptions) => {
    const policy = await readPolicy(options);
    if (options.registryUrl !== undefined) {
      if (options.registry !== undefined && options.registry !== options.registryUrl)
        throw new InvalidRequestError("--registry and --registry-url name different registries: give one");
      options.registry = options.registryUrl;
    }
    setExit(await retain(policy, options, io));
  });
}
