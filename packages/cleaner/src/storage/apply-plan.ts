import { LiveDeletion, type LiveItem, type LiveOptions } from "../live/live-deletion.js";
import { Quarantine } from "../live/quarantine.js";
import { type ApplyReport, type SkipCode, startApply } from "../model/apply-report.js";
import { InvalidRequestError } from "../model/errors.js";
import type { Plan, PlanAction } from "../model/plan.js";
import { actionFiles, actionPath, actionStrays, ownDir } from "../plan/plan-paths.js";
import { DEFAULT_REMOVE_THREADS } from "../stores/fs/file-io-pool.js";
import { settled } from "../stores/outcome.js";
import type { StoreDeleteJob, StoreOutcome } from "../stores/store.js";
import { type StoreTarget, useStore } from "../stores/use-store.js";
import { collectGarbage } from "../util/collect-garbage.js";
import { Journal } from "./journal.js";
import { pathFor } from "./storage-paths.js";
import {
  describeChange,
  type LiveLinks,
  liveLinks,
  type RepositoryChange,
  staleRepositories,
} from "./storage-rechecks.js";
import { checkTreeSkeleton } from "./storage-skeleton.js";

/** Options for applying a plan. */
export interface ApplyOptions {
  /** Threads doing the file I/O when a storage root is given (default `DEFAULT_REMOVE_THREADS`). */
  ioThreads?: number;
  onProgress?: (done: number, total: number) => void;
  /** Stop early (Ctrl-C): actions not started are left, the journal stays for a resume. */
  signal?: AbortSignal;
  /**
   * Beside a serving registry: each group of removals is marked against what was pushed meanwhile, held
   * aside, evicted from the registry's cache and let go of only after a second mark (docs/live-gc.md).
   * It replaces the coarse "skip every repository that changed" check.
   */
  live?: LiveOptions;
}

/** What removing an action's files takes, relative to the storage root. */
function removeJob(action: PlanAction): StoreDeleteJob {
  const strays = actionStrays(action);
  return { files: actionFiles(action), upTo: ownDir(action), ...(strays.length > 0 ? { strays } : {}) };
}

/**
 * Applies a plan to a storage root, phase by phase in the plan's order (tags, history entries, revisions,
 * layer links, uploads, multipart uploads, blobs, empty folders), so that at every instant nothing kept names something gone.
 * Before deleting it re-checks what could have changed since planning and skips what did; it journals
 * progress so that a re-run after a kill -9 finishes the job.
 */
export async function applyPlan(
  target: StoreTarget,
  plan: Plan,
  options: ApplyOptions = {},
): Promise<ApplyReport> {
  const report = startApply(plan, "storage");
  // Whatever made the plan (an inventory of the whole tree) is garbage by now: free it before a long run.
  collectGarbage();
  // A saved plan may meet a tree whose blobs/ was linked elsewhere since: never delete through a link.
  if (typeof target === "string") await checkTreeSkeleton(target);
  return useStore(target, { ioThreads: options.ioThreads ?? DEFAULT_REMOVE_THREADS }, async (store) => {
    // A run killed while it held files aside left them undecided: undecided is kept.
    await Quarantine.recover(store);
    const journal = await Journal.begin(store, plan);
    const liveRun = options.live ? new LiveDeletion(store, plan, options.live) : undefined;
    const stale = liveRun ? new Map<string, string>() : await staleRepositories(store, plan);
    report.staleRepositories = [...stale.keys()].sort();
    report.changes = report.staleRepositories.map((name) => stale.get(name) as RepositoryChange);
    const total = plan.actions.length;
    let progressed = 0;
    const tick = () => options.onProgress?.(++progressed, total);
    const skip = (index: number, action: PlanAction, why: string, code: SkipCode) => {
      report.skipped.push({ index, action, why, code });
      tick();
    };

    const actionAt = (index: number) => plan.actions[index] as PlanAction;

    /** Removes one group's actions (all independent of each other), adding the indexes done to `finished`. */
    const runGroup = async (items: number[], live: LiveLinks | undefined, finished: number[]) => {
      let ready = items.filter((index) => {
        const action = actionAt(index);
        if ("repository" in action && stale.has(action.repository)) {
          skip(
            index,
            action,
            describeChange(stale.get(action.repository) as RepositoryChange),
            "repository.changed",
          );
          return false;
        }
        const unread = action.type === "blob" ? live?.unread.get(action.digest) : undefined;
        if (unread) {
          const folder = unread.slice(0, unread.lastIndexOf("/signatures/"));
          const what = `remove ${folder} if its manifest is gone (it has no link of its own), or restore its link`;
          report.skipped.push({
            index,
            action,
            why: `kept: ${unread} names it, a signature link below a folder that is no revision of the repository (${what})`,
            code: "blob.linked-unread",
            fix: { path: folder, what },
          });
          tick();
          return false;
        }
        if (action.type === "blob" && live?.live.has(action.digest)) {
          skip(index, action, "a repository links it again since the plan was made", "blob.relinked");
          return false;
        }
        return true;
      });
      const tags = ready.flatMap((index) => {
        const action = actionAt(index);
        return action.type === "tag" ? [{ action, index }] : [];
      });
      if (tags.length > 0) {
        const paths = tags.map(({ action }) =>
          pathFor({ kind: "tag-current-link", repository: action.repository, tag: action.tag }),
        );
        const currents = await store.readSmall(paths);
        const moved = new Set<number>();
        tags.forEach(({ action, index }, i) => {
          const current = settled(store, currents[i], paths[i] as string)?.text?.trim();
          if (current !== undefined && action.current !== undefined && current !== action.current) {
            skip(index, action, `tag moved to ${current} since the plan was made`, "tag.moved");
            moved.add(index);
          }
        });
        ready = ready.filter((index) => !moved.has(index));
      }
      if (options.signal?.aborted) return;
      let held: LiveItem[] = [];
      if (liveRun) {
        const prepared = await liveRun.prepare(ready.map((index) => ({ index, action: actionAt(index) })));
        for (const k of prepared.kept) {
          report.skipped.push({ index: k.index, action: k.action, why: k.why, code: k.code });
          tick();
        }
        ready = prepared.proceed.map((item) => item.index);
        held = prepared.held;
      }
      const heldIndexes = new Set(held.map((item) => item.index));
      const finishedBefore = finished.length;

      const done = (index: number, action: PlanAction, removedSomething: boolean) => {
        report.done++;
        if (!removedSomething) report.alreadyGone++;
        else if (action.type === "blob" || action.type === "upload") report.bytesFreed += action.bytes;
        else if (action.type === "multipart-upload")
          report.multipartUploadsAborted = (report.multipartUploadsAborted ?? 0) + 1;
        finished.push(index);
        tick();
      };
      // The first refused removal stops the rest of the group; what ran is still journaled by the caller.
      const halt = new AbortController();
      const signal = options.signal ? AbortSignal.any([options.signal, halt.signal]) : halt.signal;
      let refusal: unknown;
      const settle =
        <R>(list: number[], removed: (action: PlanAction, result: R) => boolean) =>
        (start: number, results: Array<StoreOutcome<R>>) => {
          results.forEach((outcome, i) => {
            const index = list[start + i] as number;
            const action = actionAt(index);
            try {
              const result = settled(store, outcome, () => actionPath(action), "change");
              // A held item's key file is already aside: it counts as removed by us.
              done(
                index,
                action,
                heldIndexes.has(index) || (result !== undefined && removed(action, result)),
              );
            } catch (error) {
              refusal ??= error;
              halt.abort();
            }
          });
        };
      const trees = ready.filter((index) => actionAt(index).type === "upload");
      const aborts = ready.filter((index) => actionAt(index).type === "multipart-upload");
      const rest = ready.filter((index) => {
        const type = actionAt(index).type;
        return type !== "upload" && type !== "multipart-upload";
      });
      if (aborts.length > 0) {
        // A plan made on an object store, applied to one without multipart uploads: nothing to abort there.
        if (!store.abortMultipartUploads)
          throw new InvalidRequestError(
            `the plan aborts multipart uploads, which ${store.location} does not have (it was made for another store)`,
          );
        const uploads = aborts.map((index) => {
          const a = actionAt(index) as PlanAction & { type: "multipart-upload" };
          return { path: actionPath(a), uploadId: a.uploadId, initiatedMs: 0 };
        });
        // An upload already gone (aborted, or completed by a push) counts as done, like a missing file.
        await store.abortMultipartUploads(uploads, {
          onBatch: settle<{ aborted: boolean }>(aborts, (_, r) => r.aborted),
          signal,
        });
      }
      await store.deletePrefix(
        { length: trees.length, at: (i) => actionPath(actionAt(trees[i] as number)) },
        { onBatch: settle(trees, (_, r) => r.files + r.dirs > 0), signal },
      );
      // Jobs are made as their batch goes to a thread, so a 300k-action phase never holds 300k jobs.
      await store.delete(
        { length: rest.length, at: (i) => removeJob(actionAt(rest[i] as number)) },
        {
          // A prune removes a folder; every other action counts as done by what it unlinked.
          onBatch: settle(rest, (a, r) => (a.type === "prune" ? r.dirs : r.files) > 0),
          signal,
        },
      );
      if (liveRun) {
        const removed = new Set(finished.slice(finishedBefore));
        await liveRun.release(held.filter((item) => removed.has(item.index)));
      }
      if (refusal) throw refusal;
    };

    const phases: Array<PlanAction["type"][]> = [
      ["tag"],
      ["tag-index-entry"],
      ["revision"],
      ["layer-link"],
      ["upload"],
      ["multipart-upload"],
      ["blob"],
      ["prune"],
    ];
    const byType = new Map<PlanAction["type"], number[]>();
    plan.actions.forEach((action, index) => {
      const list = byType.get(action.type);
      if (list) list.push(index);
      else byType.set(action.type, [index]);
    });
    for (const types of phases) {
      if (options.signal?.aborted) break;
      const indexes = types.flatMap((t) => byType.get(t) ?? []);
      for (const t of types) byType.delete(t); // let each phase's list go once it is done
      if (indexes.length === 0) continue;
      const live =
        types[0] === "blob"
          ? await liveLinks(
              store,
              new Set(indexes.map((index) => (actionAt(index) as { digest: string }).digest)),
            )
          : undefined;
      // Folders go deepest first (a parent only after its children); referrers before indexes before the
      // rest. Within one such group the order does not matter, so it runs in parallel.
      const groupOf = (action: PlanAction): number =>
        action.type === "prune"
          ? -action.path.split("/").length
          : action.type === "revision"
            ? action.stage
            : 0;
      const groups = new Map<number, number[]>();
      for (const index of indexes) {
        const key = groupOf(actionAt(index));
        const group = groups.get(key);
        if (group) group.push(index);
        else groups.set(key, [index]);
      }
      const finished: number[] = [];
      try {
        for (const key of [...groups.keys()].sort((a, b) => a - b)) {
          if (options.signal?.aborted) break;
          await runGroup(groups.get(key) ?? [], live, finished);
        }
      } finally {
        await journal.record(finished);
      }
    }
    if (liveRun) {
      await liveRun.finish();
      report.live = liveRun.report;
    }
    if (!options.signal?.aborted) await journal.finish();
    return report;
  });
}
