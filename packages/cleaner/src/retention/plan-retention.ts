import semver from "semver";
import type { Digest } from "../model/digest.js";
import type { Inventory, RepositoryInventory, TagInfo } from "../model/inventory.js";
import type { PlanRequest } from "../model/plan.js";
import {
  manifestLookup,
  referrerTagSubject,
  repositoryGraph,
  walkReachable,
} from "../plan/manifest-graph.js";
import { compilePattern, compileSelector, patternText } from "./name-matcher.js";
import type {
  Decision,
  DecisionCause,
  KeepCondition,
  RetentionPolicy,
  RetentionRule,
  TagOrder,
  TimeSource,
} from "./policy.js";

/** Inputs besides the inventory; passed in so planning stays pure. */
export interface RetentionOptions {
  nowMs: number;
  /** Image creation time (config `created`) by manifest digest; needed by `created` orders and windows. */
  createdAt?: Map<Digest, number>;
}

/** Requests for `planDeletion` and the decision behind every tag and untagged manifest in scope. */
export interface RetentionPlan {
  requests: PlanRequest[];
  decisions: Decision[];
}

const natural = new Intl.Collator("en", { numeric: true });
const PLAIN_VERSION = /^v?\d+(\.\d+){0,2}$/i;

/** A tag's semver, accepting a `v` prefix and short forms (`v1`, `1.2`); undefined when it is not a version. */
export function tagSemver(tag: string): semver.SemVer | undefined {
  const stripped = tag.replace(/^v(?=\d)/i, "");
  const parsed = semver.parse(stripped);
  if (parsed) return parsed;
  return PLAIN_VERSION.test(tag) ? (semver.coerce(stripped) ?? undefined) : undefined;
}

function ago(ms: number): string {
  const days = ms / 86_400_000;
  if (days >= 1) return `${Math.floor(days)}d`;
  const hours = ms / 3_600_000;
  return hours >= 1 ? `${Math.floor(hours)}h` : `${Math.max(0, Math.floor(ms / 60_000))}m`;
}

function describe(c: KeepCondition): string {
  switch (c.kind) {
    case "last":
      return `the last ${c.count} by ${c.order}${c.groupBy ? ` per /${c.groupBy}/ group` : ""}`;
    case "tags":
      return `tags ${c.patterns.map(patternText).join(", ")}`;
    case "newer-than":
      return `${c.by} within ${ago(c.ageMs)}`;
    case "outside-window":
      return `${c.by} outside the deletion window${c.afterMs !== undefined ? ` after ${new Date(c.afterMs).toISOString()}` : ""}${c.beforeMs !== undefined ? ` before ${new Date(c.beforeMs).toISOString()}` : ""}`;
    case "digests":
      return `digests in ${c.source ?? "the allow-list"}`;
  }
}

interface TagState {
  tag: TagInfo;
  kept: string[];
  deleted: string[];
  cause?: DecisionCause;
  keptBy: string[];
  deletedBy: string[];
}

/**
 * Decides, per repository, which tags a retention policy keeps and turns the rest into `delete-tag`
 * requests (plus untagged cleanup where a rule asks for it). Pure: reads only its arguments.
 *
 * A tag in no rule's scope stays. A tag some rule keeps stays, whatever other rules say. A tag no rule keeps
 * goes even when a kept tag holds its digest: only the tag is deleted (the image stays with its kept tag;
 * online on 2.x the tag goes alone through a placeholder, see `planTagMethods`), as the seed's
 * clean_old_versions does. A tag on a regsweep placeholder always goes (an interrupted tag delete).
 * Children, referrers and blobs are left to `planDeletion`, which keeps whatever kept tags still reach.
 */
export function planRetention(
  inventory: Inventory,
  policy: RetentionPolicy,
  options: RetentionOptions,
): RetentionPlan {
  const rules = policy.rules.map((rule) => ({
    rule,
    repository: compileSelector(rule.repositories, rule.line),
    tag: compileSelector(rule.tags, rule.line),
    conditions: rule.keep.map((c) => ({ c, groupBy: compileGroup(c, rule) })),
  }));
  const requests: PlanRequest[] = [];
  const decisions: Decision[] = [];
  const repos = [...inventory.repositories].sort((a, b) => (a.name < b.name ? -1 : 1));
  for (const repo of repos) {
    const applying = rules.filter((r) => r.repository(repo.name));
    if (applying.length === 0) continue;
    const states = new Map<string, TagState>();
    for (const t of repo.tags)
      states.set(t.name, { tag: t, kept: [], deleted: [], keptBy: [], deletedBy: [] });
    // A tag on a regsweep placeholder is a killed tag delete: it goes, whatever the rules say.
    const isPlaceholder = (t: TagInfo) => t.current !== undefined && inventory.placeholders?.has(t.current);
    const ruleTags = repo.tags.filter(
      (t) => t.current && referrerTagSubject(t.name) === undefined && !isPlaceholder(t),
    );
    for (const { rule, tag, conditions } of applying) {
      const scoped = ruleTags.filter((t) => tag(t.name));
      const keptHere = new Map<string, string[]>();
      const keepFor = (t: TagInfo, why: string) =>
        keptHere.set(t.name, [...(keptHere.get(t.name) ?? []), `rule '${rule.name}': ${why}`]);
      for (const { c, groupBy } of conditions) applyCondition(c, groupBy, scoped, options, keepFor);
      for (const t of scoped) {
        const state = states.get(t.name) as TagState;
        const kept = keptHere.get(t.name);
        if (kept) {
          state.kept.push(...kept);
          state.keptBy.push(rule.name);
        } else {
          state.deletedBy.push(rule.name);
          state.deleted.push(
            rule.keep.length === 0
              ? `rule '${rule.name}': keeps nothing in its scope`
              : `rule '${rule.name}': not kept by ${rule.keep.map(describe).join("; ")}`,
          );
        }
      }
    }
    // Tags that stay: kept by a rule, out of every rule's scope, broken (no current link) or referrer tags.
    const keptDigests = new Map<Digest, string>();
    const toDelete: TagState[] = [];
    for (const state of states.values()) {
      const { tag } = state;
      if (isPlaceholder(tag)) {
        state.deleted.push("names a regsweep placeholder (an interrupted tag delete): finishing it");
        state.cause = "placeholder";
        requests.push({ kind: "delete-tag", repository: repo.name, tag: tag.name });
        continue;
      }
      if (!tag.current) {
        state.kept.push("has no current link (unreadable tag): left alone");
        state.cause = "broken-tag";
      } else if (referrerTagSubject(tag.name) !== undefined) {
        continue; // decided below, after its subject
      } else if (state.kept.length === 0 && state.deleted.length === 0) {
        state.kept.push("no rule's tag selection includes it");
        state.cause = "no-rule";
      }
      if (state.kept.length > 0) {
        if (tag.current && !keptDigests.has(tag.current)) keptDigests.set(tag.current, tag.name);
      } else {
        toDelete.push(state);
      }
    }
    const deletedDigests = new Set<Digest>();
    for (const state of toDelete) {
      const current = state.tag.current as Digest;
      const sibling = keptDigests.get(current);
      if (sibling !== undefined) {
        // Only the tag goes: the image stays with the kept tag (online, 2.x deletes it alone by placeholder).
        state.deleted.push(
          `shares its digest with kept tag '${sibling}': only the tag goes, the image stays`,
        );
        state.cause = "shared-digest";
      } else deletedDigests.add(current);
      requests.push({ kind: "delete-tag", repository: repo.name, tag: state.tag.name });
    }
    for (const state of states.values()) {
      const subject = referrerTagSubject(state.tag.name);
      if (subject === undefined) continue;
      state.cause = "referrer";
      if (deletedDigests.has(subject) && !keptDigests.has(subject))
        state.deleted.push(`referrer tag: follows its deleted subject ${subject}`);
      else state.kept.push(`referrer tag: follows its subject ${subject}`);
    }
    for (const state of [...states.values()].sort((a, b) => natural.compare(a.tag.name, b.tag.name))) {
      const keep = state.kept.length > 0;
      decisions.push({
        repository: repo.name,
        tag: state.tag.name,
        ...(state.tag.current ? { digest: state.tag.current } : {}),
        action: keep ? "keep" : "delete",
        cause: state.cause ?? "rule",
        rules: keep ? state.keptBy : state.deletedBy,
        reasons: keep ? state.kept : state.deleted,
      });
    }
    planUntagged(
      inventory,
      repo,
      applying.map((r) => r.rule),
      options,
      requests,
      decisions,
    );
  }
  return { requests, decisions };
}

function compileGroup(c: KeepCondition, rule: RetentionRule): RegExp | undefined {
  if (c.kind !== "last" || c.groupBy === undefined) return undefined;
  compilePattern({ regex: c.groupBy }, rule.line); // throws a PolicyError naming the line
  return new RegExp(c.groupBy);
}

function timeOf(t: TagInfo, by: TimeSource, options: RetentionOptions): number | undefined {
  if (by === "pushed") return t.pushedAtMs;
  return t.current ? options.createdAt?.get(t.current) : undefined;
}

type OrderKey = { kind: "semver"; v: semver.SemVer } | { kind: "number"; n: number } | { kind: "name" };

function orderKey(t: TagInfo, order: TagOrder, options: RetentionOptions): OrderKey | undefined {
  switch (order) {
    case "semver": {
      const v = tagSemver(t.name);
      return v ? { kind: "semver", v } : undefined;
    }
    case "name":
      return { kind: "name" };
    case "pushed":
    case "created": {
      const n = timeOf(t, order, options);
      return n === undefined ? undefined : { kind: "number", n };
    }
  }
}

function compareKeys(a: OrderKey, b: OrderKey): number {
  if (a.kind === "semver" && b.kind === "semver") return semver.compare(a.v, b.v);
  if (a.kind === "number" && b.kind === "number") return a.n - b.n;
  return 0;
}

function applyCondition(
  c: KeepCondition,
  groupBy: RegExp | undefined,
  scoped: TagInfo[],
  options: RetentionOptions,
  keep: (t: TagInfo, why: string) => void,
): void {
  switch (c.kind) {
    case "last": {
      const groups = new Map<string, TagInfo[]>();
      for (const t of scoped) {
        const m = groupBy?.exec(t.name);
        const key = m ? (m.length > 1 ? m.slice(1).join("/") : m[0]) : "";
        groups.set(key, [...(groups.get(key) ?? []), t]);
      }
      for (const [group, tags] of groups) {
        const keyed: Array<{ t: TagInfo; k: OrderKey }> = [];
        for (const t of tags) {
          const k = orderKey(t, c.order, options);
          if (k) keyed.push({ t, k });
          else keep(t, `cannot be ordered by ${c.order} (kept rather than guessed)`);
        }
        // Oldest first; equal keys fall back to natural name order so the result never depends on input order.
        keyed.sort((a, b) => compareKeys(a.k, b.k) || natural.compare(a.t.name, b.t.name));
        const where = groupBy ? ` in group '${group}'` : "";
        for (const { t } of keyed.slice(Math.max(0, keyed.length - c.count)))
          keep(t, `among the last ${c.count} by ${c.order}${where}`);
      }
      return;
    }
    case "tags": {
      const matchers = c.patterns.map((p) => ({ p, m: compilePattern(p) }));
      for (const t of scoped) {
        const hit = matchers.find(({ m }) => m(t.name));
        if (hit) keep(t, `matches ${patternText(hit.p)}`);
      }
      return;
    }
    case "newer-than": {
      for (const t of scoped) {
        const at = timeOf(t, c.by, options);
        if (at === undefined) keep(t, `no ${c.by} time known (kept rather than guessed)`);
        else if (at > options.nowMs - c.ageMs)
          keep(t, `${c.by} ${ago(options.nowMs - at)} ago, within ${ago(c.ageMs)}`);
      }
      return;
    }
    case "outside-window": {
      for (const t of scoped) {
        const at = timeOf(t, c.by, options);
        if (at === undefined) keep(t, `no ${c.by} time known (kept rather than guessed)`);
        else if (
          !((c.beforeMs === undefined || at < c.beforeMs) && (c.afterMs === undefined || at > c.afterMs))
        )
          keep(t, `${c.by} ${new Date(at).toISOString()}, outside the deletion window`);
      }
      return;
    }
    case "digests": {
      const allowed = new Set(c.digests);
      for (const t of scoped) {
        if (t.current && allowed.has(t.current)) keep(t, `digest in ${c.source ?? "the allow-list"}`);
      }
      return;
    }
  }
}

/** Untagged manifests: deleted past the largest age threshold of the rules that ask (keep wins), never when allow-listed. */
function planUntagged(
  inventory: Inventory,
  repo: RepositoryInventory,
  rules: RetentionRule[],
  options: RetentionOptions,
  requests: PlanRequest[],
  decisions: Decision[],
): void {
  const asking = rules.filter((r) => r.untaggedOlderThanMs !== undefined);
  if (asking.length === 0) return;
  const minAgeMs = Math.max(...asking.map((r) => r.untaggedOlderThanMs as number));
  const allowed = new Map<Digest, string>();
  for (const r of rules)
    for (const c of r.keep)
      if (c.kind === "digests")
        for (const d of c.digests)
          allowed.set(d, `rule '${r.name}': digest in ${c.source ?? "the allow-list"}`);
  const manifest = manifestLookup(inventory);
  const tagged = new Set(repo.tags.flatMap((t) => (t.current ? [t.current] : [])));
  // What tagged manifests reach (index children, referrers) follows its parent, not the untagged rule.
  const reached = new Map<Digest, string>();
  walkReachable(repositoryGraph(repo, manifest), tagged, (d, from, edge) => {
    if (reached.has(d)) return false;
    reached.set(
      d,
      edge === "child"
        ? `child of the tagged index ${from}: follows its parent`
        : `referrer of the tagged manifest ${from}: follows its subject`,
    );
    return true;
  });
  const limit = options.nowMs - minAgeMs;
  const candidates: Digest[] = [];
  let allowListed = false;
  for (const r of repo.revisions) {
    if (tagged.has(r.digest)) continue;
    const why = reached.get(r.digest) ?? allowed.get(r.digest);
    let reason: string;
    let action: Decision["action"] = "keep";
    let cause: DecisionCause = "untagged-age";
    const rulesHere = asking.map((x) => x.name);
    if (why) {
      reason = why;
      cause = reached.has(r.digest) ? "follows-parent" : "allow-list";
      if (allowed.has(r.digest)) allowListed = true;
    } else if (!manifest(r.digest)) {
      reason = "untagged but unreadable: left alone";
      cause = "unreadable";
    } else if (r.linkedAtMs > limit)
      reason = `untagged for ${ago(options.nowMs - r.linkedAtMs)}, younger than ${ago(minAgeMs)}`;
    else {
      action = "delete";
      reason = `untagged for ${ago(options.nowMs - r.linkedAtMs)}, older than ${ago(minAgeMs)}`;
      candidates.push(r.digest);
    }
    decisions.push({
      repository: repo.name,
      digest: r.digest,
      action,
      cause,
      rules: cause === "untagged-age" ? rulesHere : [],
      reasons: [reason],
    });
  }
  if (candidates.length === 0) return;
  if (!allowListed) requests.push({ kind: "delete-untagged", repository: repo.name, minAgeMs });
  else
    for (const digest of candidates)
      requests.push({ kind: "delete-manifest", repository: repo.name, digest });
}
