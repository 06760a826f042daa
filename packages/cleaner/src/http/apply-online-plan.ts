import pLimit from "p-limit";
import { type ApplyReport, type SkipCode, type SkippedAction, startApply } from "../model/apply-report.js";
import type { Digest } from "../model/digest.js";
import type { KeptNote, Plan, PlanAction, TagMethod } from "../model/plan.js";
import {
  deleteTagByPlaceholder,
  type PlaceholderHooks,
  resolveDigest,
  retryPlaceholderDelete,
} from "./delete-tag-by-placeholder.js";
import { RegistryDeleteDisabledError } from "./http-errors.js";
import { listAll } from "./paginate.js";
import { chooseTagMethod, tagMethodContext } from "./plan-tag-methods.js";
import { probeRegistry, type RegistryCapabilities } from "./probe-registry.js";
import { isSchema1, MANIFEST_ACCEPT } from "./read-registry-inventory.js";
import type { RegistryClient } from "./registry-client.js";

/** Options for applying a plan through the HTTP API. */
export interface OnlineApplyOptions {
  /** On 2.x, delete a tag by its digest even when kept tags share that digest (they go too). */
  force?: boolean;
  /** Also DELETE the blobs of `layer-link` actions (unlinks them from the repository; gc frees the bytes). */
  deleteLayers?: boolean;
  onProgress?: (done: number, total: number) => void;
  /** Stop early (Ctrl-C): actions not started are left; the report says what was done. */
  signal?: AbortSignal;
  /** Hooks around the placeholder method's steps (tests stop the process between the PUT and the DELETE). */
  placeholder?: PlaceholderHooks;
}

/** What became of one tag action online, and by which method. */
export interface TagOutcome {
  repository: string;
  tag: string;
  /** Undefined when the API cannot delete it here (the plan said why). */
  method: TagMethod | undefined;
  result: "deleted" | "already-gone" | "skipped" | "dangling";
  /** The placeholder manifest pushed on the tag (placeholder method). */
  placeholder?: Digest;
}

/** What an online apply did; `offline` counts actions only an offline pass (gc) can carry out. */
export interface OnlineApplyReport extends ApplyReport {
  capabilities: RegistryCapabilities | undefined;
  /** Storage-only actions (blobs, uploads, history entries, folders, and layer links unless asked), by type. */
  offline: Partial<Record<PlanAction["type"], number>>;
  /** Bytes the offline actions would free: reclaim them with garbage collection. */
  bytesForGc: number;
  /** Tags removed as a side effect of a forced digest delete. */
  cascadedTags: string[];
  /** Every tag action: its method and what became of it. */
  tags: TagOutcome[];
  /** Kept tags on the digest of a tag deleted alone, re-read afterwards: how many, and any not where they were. */
  siblingsChecked: number;
  siblingsChanged: string[];
  /** HTTP requests sent (retries included). */
  requests: number;
}

/** Whether a tag still resolves (GET: registries without HEAD answer it too). */
async function resolveDigestByGet(client: RegistryClient, repository: string, tag: string) {
  const res = await client.request("GET", `/v2/${repository}/manifests/${tag}`, {
    accept: MANIFEST_ACCEPT,
    scope: `repository:${repository}:pull`,
    expect: [404],
  });
  return res.status === 404 ? undefined : (res.headers["docker-content-digest"] as Digest | undefined);
}

/** The digest a tag points at now, or undefined when it is gone (HEAD; GET on registries without HEAD). */
async function currentDigest(client: RegistryClient, repository: string, ref: string) {
  const opts = { accept: MANIFEST_ACCEPT, scope: `repository:${repository}:pull`, expect: [404, 405] };
  let res = await client.request("HEAD", `/v2/${repository}/manifests/${ref}`, opts);
  if (res.status === 405) res = await client.request("GET", `/v2/${repository}/manifests/${ref}`, opts);
  if (res.status === 404) return undefined;
  const mediaType =
    String(res.headers["content-type"] ?? "")
      .split(";")[0]
      ?.trim() ?? "";
  return { digest: res.headers["docker-content-digest"] as Digest | undefined, mediaType };
}

/**
 * Applies a plan (made by `planDeletion` from `readRegistryInventory`, its tag methods named by
 * `planTagMethods`) through the Registry HTTP API v2. `tag` → by its method: `tag-delete` (3.x),
 * `placeholder` (2.3–2.8: the tag alone, see `deleteTagByPlaceholder`), or `digest` (the manifest goes too,
 * untagging it; only when the plan deletes that manifest, or forced when only kept tags hold it); a tag the
 * API cannot delete here is skipped with the reason. `revision` → DELETE by digest after re-checking that no
 * kept tag points at it now; `layer-link` → DELETE blob if asked. Blobs, uploads, history entries and folders
 * are storage-only: counted for an offline gc. A digest read as schema1 may be a registry's rewrite, so it is
 * never deleted by digest.
 */
export async function applyOnlinePlan(
  client: RegistryClient,
  plan: Plan,
  options: OnlineApplyOptions = {},
): Promise<OnlineApplyReport> {
  const report: OnlineApplyReport = {
    ...startApply(plan, "http"),
    capabilities: undefined,
    offline: {},
    bytesForGc: 0,
    cascadedTags: [],
    tags: [],
    siblingsChecked: 0,
    siblingsChanged: [],
    requests: 0,
  };
  const requestsBefore = client.requests;
  const total = plan.actions.length;
  let progressed = 0;
  const tick = () => options.onProgress?.(++progressed, total);
  const methodOf = new Map<PlanAction, TagMethod | undefined>();
  const outcome = (action: PlanAction, result: TagOutcome["result"], placeholder?: Digest) => {
    if (action.type !== "tag") return;
    report.tags.push({
      repository: action.repository,
      tag: action.tag,
      method: methodOf.get(action),
      result,
      ...(placeholder ? { placeholder } : {}),
    });
  };
  const skip = (index: number, action: PlanAction, why: string, code: SkipCode) => {
    report.skipped.push({ index, action, why, code } satisfies SkippedAction);
    outcome(action, "skipped");
    tick();
  };

  const online = plan.actions
    .map((action, index) => ({ action, index }))
    .filter(({ action }) => {
      const viaApi =
        action.type === "tag" ||
        action.type === "revision" ||
        (action.type === "layer-link" && options.deleteLayers);
      if (!viaApi) {
        report.offline[action.type] = (report.offline[action.type] ?? 0) + 1;
        if (action.type === "blob" || action.type === "upload") report.bytesForGc += action.bytes;
        tick();
      }
      return viaApi;
    });
  if (online.length === 0) return { ...report, requests: client.requests - requestsBefore };

  const firstRepo = (online[0] as { action: { repository: string } }).action.repository;
  const caps = await probeRegistry(client, firstRepo);
  report.capabilities = caps;
  const needsDigestDelete = online.some(({ action }) => action.type !== "tag") || !caps.tagDelete;
  if (!caps.deleteEnabled && needsDigestDelete) throw new RegistryDeleteDisabledError(client.base.toString());
  // The plan's methods (a plan made by `planTagMethods`), else chosen now the same way; a method this
  // registry cannot do (the plan was made against another) is skipped, never swapped for another.
  const methodCtx = tagMethodContext(plan, caps, { cascadeTags: Boolean(options.force) });
  const blockedWhy = new Map<PlanAction, string>();
  for (const { action } of online) {
    if (action.type !== "tag") continue;
    if (action.method || action.blocked) {
      methodOf.set(action, action.method);
      if (action.blocked) blockedWhy.set(action, action.blocked);
      const can =
        action.method === "tag-delete"
          ? caps.tagDelete
          : action.method === "placeholder"
            ? caps.placeholder !== undefined && caps.deleteEnabled
            : true;
      if (!can)
        blockedWhy.set(
          action,
          `the plan deletes this tag by ${action.method}, which this registry cannot do (plan it again against this registry)`,
        );
      continue;
    }
    const choice = chooseTagMethod(action, methodCtx);
    methodOf.set(action, choice.method);
    if (choice.blocked) blockedWhy.set(action, choice.blocked);
  }

  // Re-read every touched repository: tags pushed or moved since planning make it stale (nothing there is
  // deleted), and the live digest of each kept tag guards every digest delete.
  const deletedTags = new Map<string, Set<string>>();
  for (const { action } of online)
    if (action.type === "tag")
      deletedTags.set(action.repository, (deletedTags.get(action.repository) ?? new Set()).add(action.tag));
  const keptTagsAt = new Map<string, Map<Digest, string[]>>();
  const stale = new Map<string, string>();
  await Promise.all(
    plan.snapshots.map(async (snap) => {
      const live =
        (await listAll(client, `/v2/${snap.name}/tags/list`, "tags", {
          scope: `repository:${snap.name}:pull`,
        })) ?? [];
      const deleting = deletedTags.get(snap.name) ?? new Set<string>();
      const kept = new Map<Digest, string[]>();
      await Promise.all(
        live.map(async (tag) => {
          if (!(tag in snap.tags)) {
            stale.set(snap.name, `tag '${tag}' was pushed since the plan was made`);
            return;
          }
          if (deleting.has(tag)) return;
          const now = await currentDigest(client, snap.name, tag);
          if (!now?.digest) return;
          if (now.digest !== snap.tags[tag])
            stale.set(snap.name, `tag '${tag}' moved since the plan was made`);
          kept.set(now.digest, [...(kept.get(now.digest) ?? []), tag]);
        }),
      );
      keptTagsAt.set(snap.name, kept);
    }),
  );
  report.staleRepositories = [...stale.keys()].sort();

  const keptNotes = new Map<string, KeptNote[]>();
  for (const k of plan.kept ?? []) {
    const key = `${k.repository}@${k.digest}`;
    keptNotes.set(key, [...(keptNotes.get(key) ?? []), k]);
  }
  const schema1 = new Set(
    plan.findings.flatMap((f) => (f.code === "manifest.schema1" ? [`${f.repository}@${f.digest}`] : [])),
  );
  const plannedRevisions = new Set(
    plan.actions.flatMap((a) => (a.type === "revision" ? [`${a.repository}@${a.digest}`] : [])),
  );
  const actions = pLimit(client.options.concurrency ?? 16);
  // Digests this run deleted: a later action on one is already done, without asking the registry again.
  const gone = new Set<string>();
  const deleteDigest = async (repository: string, digest: Digest): Promise<boolean> => {
    gone.add(`${repository}@${digest}`);
    const res = await client.request("DELETE", `/v2/${repository}/manifests/${digest}`, {
      scope: `repository:${repository}:delete`,
      expect: [404],
    });
    return res.status !== 404;
  };

  const perRepository = new Map<string, ReturnType<typeof pLimit>>();
  const oneAtATimeIn = <T>(repository: string, fn: () => Promise<T>): Promise<T> => {
    let limit = perRepository.get(repository);
    if (!limit) {
      limit = pLimit(1);
      perRepository.set(repository, limit);
    }
    return limit(fn);
  };
  // Tags deleted through a placeholder, checked against the tag list once the run is over.
  const byPlaceholder: Array<{
    index: number;
    action: PlanAction & { type: "tag" };
    placeholder: Digest;
    manifest: Buffer;
  }> = [];
  // Tags deleted through their digest, counted once the run is over and the tag list confirms they are gone.
  const untaggedByDigest: Array<{ index: number; action: PlanAction & { type: "tag" }; removed: boolean }> =
    [];

  const run = async ({ action, index }: { action: PlanAction; index: number }): Promise<void> => {
    if (options.signal?.aborted) return;
    if ("repository" in action && stale.has(action.repository)) {
      skip(index, action, stale.get(action.repository) as string, "repository.changed");
      return;
    }
    let removed = false;
    switch (action.type) {
      case "tag": {
        const blocked = blockedWhy.get(action);
        if (blocked) {
          skip(index, action, blocked, "tag.method-blocked");
          return;
        }
        const method = methodOf.get(action);
        if (method === "tag-delete") {
          // DELETE by tag takes whatever the tag names now: first make sure that is still what was planned.
          const now = await currentDigest(client, action.repository, action.tag);
          if (!now) {
            outcome(action, "already-gone");
            break; // gone already
          }
          if (action.current && now.digest && now.digest !== action.current) {
            skip(index, action, `tag moved to ${now.digest} since the plan was made`, "tag.moved");
            return;
          }
          const res = await client.request("DELETE", `/v2/${action.repository}/manifests/${action.tag}`, {
            scope: `repository:${action.repository}:delete`,
            expect: [404],
          });
          removed = res.status !== 404;
          outcome(action, removed ? "deleted" : "already-gone");
          break;
        }
        if (method === "placeholder") {
          const sharing = keptTagsAt.get(action.repository)?.get(action.current as Digest) ?? [];
          // One at a time per repository: a 2.x digest DELETE fails half-way when another tag's link in the
          // repository is being written (see `retryPlaceholderDelete`); repositories still go in parallel.
          const done = await oneAtATimeIn(action.repository, () =>
            deleteTagByPlaceholder(
              client,
              action.repository,
              action.tag,
              action.current,
              options.placeholder,
            ),
          );
          if (done.result === "moved") {
            skip(
              index,
              action,
              `the tag names ${done.now} now, not ${action.current} as planned: left untouched (never overwritten)`,
              "tag.moved",
            );
            return;
          }
          if (done.result === "raced") {
            skip(
              index,
              action,
              `the tag was pushed again during the delete (it names ${done.now ?? "nothing"}): left there; the placeholder ${done.placeholder} is deleted`,
              "tag.moved",
            );
            return;
          }
          removed = done.result === "deleted";
          if (done.result === "deleted")
            byPlaceholder.push({ index, action, placeholder: done.placeholder, manifest: done.manifest });
          outcome(action, done.result, done.result === "deleted" ? done.placeholder : undefined);
          // Every kept tag on the digest this tag had must still name it.
          await Promise.all(
            sharing.map(async (sibling) => {
              report.siblingsChecked++;
              const now = await resolveDigest(client, action.repository, sibling);
              if (now !== action.current)
                report.siblingsChanged.push(`${action.repository}:${sibling} → ${now ?? "gone"}`);
            }),
          );
          break;
        }
        // method "digest": the tag goes with its digest (2.3+ untag it; 2.2 leaves it dangling). No HEAD per
        // tag (a third of the registry's work): kept tags were re-read above, so one now on this digest makes
        // it skip; a deleted tag that moved since planning is not untagged by this delete, and the check after
        // the run reports it.
        const digest = action.current;
        if (!digest) {
          skip(
            index,
            action,
            "the registry names no digest for this tag, and cannot delete tags",
            "tag.no-digest",
          );
          return;
        }
        if (gone.has(`${action.repository}@${digest}`)) {
          untaggedByDigest.push({ index, action, removed: false });
          tick();
          return;
        }
        if (schema1.has(`${action.repository}@${digest}`)) {
          skip(
            index,
            action,
            `${digest} was read as schema1 (possibly a registry rewrite): never deleted by digest`,
            "manifest.schema1",
          );
          return;
        }
        // Deleting by digest deletes the manifest: only when the plan deletes it too, or (forced) when nothing
        // but other tags keeps it. A child of a kept index or a referrer of a kept manifest never goes.
        const keptFor = keptNotes.get(`${action.repository}@${digest}`) ?? [];
        const keptOtherwise = keptFor.filter((k) => k.code !== "kept.tagged").map((k) => k.reason);
        if (!plannedRevisions.has(`${action.repository}@${digest}`) && keptOtherwise.length > 0) {
          skip(
            index,
            action,
            `deleting by digest would delete ${digest}, which the plan keeps (${keptOtherwise.join("; ")})`,
            "tag.digest-kept",
          );
          return;
        }
        const sharing = keptTagsAt.get(action.repository)?.get(digest) ?? [];
        if (sharing.length > 0 && !options.force) {
          skip(
            index,
            action,
            `deleting by digest would also remove the kept tag(s) ${sharing.map((t) => `'${t}'`).join(", ")}: skipped (a forced delete would untag them too)`,
            "tag.shares-digest",
          );
          return;
        }
        if (sharing.length > 0) report.cascadedTags.push(...sharing.map((t) => `${action.repository}:${t}`));
        const deleted = await deleteDigest(action.repository, digest);
        untaggedByDigest.push({ index, action, removed: deleted });
        tick();
        return;
      }
      case "revision": {
        const kept = keptTagsAt.get(action.repository)?.get(action.digest) ?? [];
        if (kept.length > 0) {
          skip(
            index,
            action,
            `kept tag(s) ${kept.map((t) => `'${t}'`).join(", ")} point at it now`,
            "manifest.tagged-now",
          );
          return;
        }
        if (gone.has(`${action.repository}@${action.digest}`)) break;
        const now = await currentDigest(client, action.repository, action.digest);
        if (!now) break;
        if (isSchema1(now.mediaType)) {
          skip(
            index,
            action,
            "read as schema1 (possibly a registry rewrite): never deleted by digest online",
            "manifest.schema1",
          );
          return;
        }
        removed = await deleteDigest(action.repository, action.digest);
        break;
      }
      case "layer-link": {
        const res = await client.request("DELETE", `/v2/${action.repository}/blobs/${action.digest}`, {
          scope: `repository:${action.repository}:delete`,
          expect: [404],
        });
        removed = res.status !== 404;
        break;
      }
      default:
        return;
    }
    report.done++;
    if (!removed) report.alreadyGone++;
    tick();
  };

  // The plan's phase order: tags, then revisions (referrers and indexes before what they name), then layers.
  for (const phase of ["tag", "revision", "layer-link"] as const) {
    if (options.signal?.aborted) break;
    const items = online.filter(({ action }) => action.type === phase);
    // Started in plan order (referrers and indexes first), as many at once as the client sends requests, so a
    // stop leaves every action not yet started untouched.
    await Promise.all(items.map((item) => actions(() => run(item))));
  }
  // A placeholder delete is checked against the tag list too: a tag the registry left listed (dangling on
  // the deleted placeholder) gets the placeholder again and a second DELETE; still listed, it is skipped.
  const listTags = async (repository: string) =>
    new Set(
      (await listAll(client, `/v2/${repository}/tags/list`, "tags", {
        scope: `repository:${repository}:pull`,
      })) ?? [],
    );
  for (const repository of new Set(byPlaceholder.map(({ action }) => action.repository))) {
    const mine = byPlaceholder.filter(({ action }) => action.repository === repository);
    let listed = await listTags(repository);
    const left = mine.filter(({ action }) => listed.has(action.tag));
    if (left.length === 0) continue;
    for (const { action, placeholder, manifest } of left)
      await retryPlaceholderDelete(client, repository, action.tag, placeholder, manifest);
    listed = await listTags(repository);
    for (const { index, action } of left) {
      if (!listed.has(action.tag)) continue;
      report.done--;
      report.skipped.push({
        index,
        action,
        why: "the registry left the tag listed after deleting its placeholder, twice: run the same command again",
        code: "tag.dangling",
      });
      const t = report.tags.find((x) => x.repository === repository && x.tag === action.tag);
      if (t) t.result = "skipped";
    }
  }
  // A tag that moved (was pushed again) after planning is not untagged by deleting the digest it had: it
  // is still listed, and reported as skipped rather than done.
  const repositories = [...new Set(untaggedByDigest.map(({ action }) => action.repository))];
  const listed = new Map(
    await Promise.all(
      repositories.map(
        async (repository) =>
          [
            repository,
            new Set(
              (await listAll(client, `/v2/${repository}/tags/list`, "tags", {
                scope: `repository:${repository}:pull`,
              })) ?? [],
            ),
          ] as const,
      ),
    ),
  );
  for (const { index, action, removed } of untaggedByDigest) {
    if (listed.get(action.repository)?.has(action.tag)) {
      if (!caps.untagsOnDigestDelete) {
        // 2.2: the digest DELETE leaves the tag listed, dangling (GET 404) until an offline delete.
        const now = await resolveDigestByGet(client, action.repository, action.tag);
        if (!now) {
          report.done++;
          outcome(action, "dangling");
          continue;
        }
      }
      report.skipped.push({
        index,
        action,
        why: "the tag moved since the plan was made: left where it is now",
        code: "tag.moved",
      });
      outcome(action, "skipped");
      continue;
    }
    report.done++;
    if (!removed) report.alreadyGone++;
    outcome(action, removed ? "deleted" : "already-gone");
  }
  report.requests = client.requests - requestsBefore;
  return report;
}
