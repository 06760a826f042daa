import { lstat, readdir, readFile, rm, rmdir, unlink } from "node:fs/promises";
import { join } from "node:path";
import pLimit from "p-limit";
import type { Digest } from "./digest.js";
import { InvalidRequestError, StorageIoError } from "./errors.js";
import { forEachLimited } from "./for-each-limited.js";
import { Journal } from "./journal.js";
import type { Plan, PlanAction, RepositorySnapshot } from "./plan.js";
import { ownDir } from "./plan-deletion.js";
import { pathFor, REPOSITORIES_ROOT } from "./storage-paths.js";

/** An action that was not carried out, and why. */
export interface SkippedAction {
  index: number;
  action: PlanAction;
  why: string;
  /** A stable code for skips a caller can act on, e.g. `tag.shares-digest` (a cascading delete would help). */
  code?: string;
}

/** What an apply did. */
export interface ApplyReport {
  /** Actions carried out (including ones whose files were already gone, e.g. after an interrupted run). */
  done: number;
  alreadyGone: number;
  skipped: SkippedAction[];
  /** Repositories that changed since the plan was made; their actions were skipped. */
  staleRepositories: string[];
  bytesFreed: number;
}

/** Options for applying a plan. */
export interface ApplyOptions {
  /** Parallel file operations within a phase. */
  concurrency?: number;
  onProgress?: (done: number, total: number) => void;
  /** Stop early (Ctrl-C): actions not started are left, the journal stays for a resume. */
  signal?: AbortSignal;
}

async function readText(path: string): Promise<string | undefined> {
  try {
    return (await readFile(path, "utf8")).trim();
  } catch {
    return undefined;
  }
}

async function names(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch {
    return [];
  }
}

/**
 * Removes one file; false when it was gone already. `unlink` never follows a symbolic link (it removes the
 * link itself) and refuses folders, so nothing outside the tree can be reached through it.
 */
async function removeFile(path: string): Promise<boolean> {
  try {
    await unlink(path);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return false;
    if (code === "EISDIR" || code === "EPERM")
      throw new StorageIoError(path, new Error("not a regular file; left alone"));
    throw new StorageIoError(path, error);
  }
}

/** Removes the now-empty folders from a removed file's folder up to the action's own folder. */
async function removeOwnDirs(root: string, file: string, own: string): Promise<void> {
  let dir = file.slice(0, file.lastIndexOf("/"));
  while (dir.length >= own.length && dir.startsWith(own)) {
    if (!(await removeEmptyDir(join(root, dir)))) return;
    dir = dir.slice(0, dir.lastIndexOf("/"));
  }
}

/** Removes a folder if it is empty; false when it was gone or still holds something. */
async function removeEmptyDir(path: string): Promise<boolean> {
  try {
    await rmdir(path);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== "ENOENT" && code !== "ENOTEMPTY" && code !== "EEXIST") throw new StorageIoError(path, error);
    return false;
  }
}

async function isFile(path: string): Promise<boolean> {
  return (await lstat(path).catch(() => undefined))?.isFile() ?? false;
}

/** Which snapshot repositories changed in a way that could make the plan delete something now in use. */
async function staleRepositories(root: string, plan: Plan): Promise<Map<string, string>> {
  const stale = new Map<string, string>();
  await Promise.all(
    plan.snapshots.map(async (snap: RepositorySnapshot) => {
      const repoDir = join(root, pathFor({ kind: "repository", repository: snap.name }));
      const knownRevisions = new Set(snap.revisions);
      for (const alg of await names(join(repoDir, "_manifests/revisions"))) {
        for (const hex of await names(join(repoDir, "_manifests/revisions", alg))) {
          const digest = `${alg}:${hex}` as Digest;
          if (
            !knownRevisions.has(digest) &&
            (await readText(join(repoDir, "_manifests/revisions", alg, hex, "link")))
          ) {
            stale.set(snap.name, `a manifest was pushed since the plan was made (${digest})`);
          }
        }
      }
      for (const tag of await names(join(repoDir, "_manifests/tags"))) {
        const current = await readText(join(repoDir, "_manifests/tags", tag, "current/link"));
        if (current === undefined) continue;
        if (!(tag in snap.tags)) stale.set(snap.name, `tag '${tag}' was pushed since the plan was made`);
        else if (snap.tags[tag] !== current)
          stale.set(snap.name, `tag '${tag}' moved since the plan was made`);
      }
    }),
  );
  return stale;
}

/** Every blob digest some repository links right now (revisions and layers), read fresh before blobs go. */
async function liveLinks(root: string, limit: ReturnType<typeof pLimit>): Promise<Set<string>> {
  const live = new Set<string>();
  const linked = async (dir: string, alg: string, hex: string) => {
    // A folder without its link is absent to the registry (as `linkedblobstore.go` enumerates).
    if (await limit(() => isFile(join(dir, alg, hex, "link")))) live.add(`${alg}:${hex}`);
  };
  const linksUnder = async (base: string, signatures: boolean): Promise<void> => {
    for (const alg of await names(base)) {
      const hexes = await names(join(base, alg));
      await Promise.all(
        hexes.map(async (hex) => {
          await linked(base, alg, hex);
          if (signatures) await linksUnder(join(base, alg, hex, "signatures"), false);
        }),
      );
    }
  };
  async function walk(dir: string): Promise<void> {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    await Promise.all(
      entries.map(async (e) => {
        if (!e.isDirectory()) return;
        const path = join(dir, e.name);
        if (e.name === "_layers") await linksUnder(path, false);
        else if (e.name === "_manifests") await linksUnder(join(path, "revisions"), true);
        else if (!e.name.startsWith("_")) await walk(path);
      }),
    );
  }
  await walk(join(root, REPOSITORIES_ROOT));
  return live;
}

/**
 * Applies a plan to a storage root, phase by phase in the plan's order (tags, history entries, revisions,
 * layer links, uploads, blobs, empty folders), so that at every instant nothing kept names something gone.
 * Before deleting it re-checks what could have changed since planning and skips what did; it journals
 * progress so that a re-run after a kill -9 finishes the job.
 */
export async function applyPlan(root: string, plan: Plan, options: ApplyOptions = {}): Promise<ApplyReport> {
  if (plan.format !== "regsweep.plan/v1")
    throw new InvalidRequestError(`not a regsweep plan (format ${String(plan.format)})`);
  const journal = await Journal.begin(root, plan);
  const concurrency = options.concurrency ?? 32;
  const limit = pLimit(concurrency);
  const report: ApplyReport = { done: 0, alreadyGone: 0, skipped: [], staleRepositories: [], bytesFreed: 0 };
  const stale = await staleRepositories(root, plan);
  report.staleRepositories = [...stale.keys()].sort();
  const total = plan.actions.length;
  let progressed = 0;
  const tick = () => options.onProgress?.(++progressed, total);

  const skip = (index: number, action: PlanAction, why: string) => {
    report.skipped.push({ index, action, why });
    tick();
  };

  const phases: Array<PlanAction["type"][]> = [
    ["tag"],
    ["tag-index-entry"],
    ["revision"],
    ["layer-link"],
    ["upload"],
    ["blob"],
    ["prune"],
  ];
  const byType = new Map<PlanAction["type"], Array<{ action: PlanAction; index: number }>>();
  plan.actions.forEach((action, index) => {
    const list = byType.get(action.type);
    if (list) list.push({ action, index });
    else byType.set(action.type, [{ action, index }]);
  });
  for (const types of phases) {
    if (options.signal?.aborted) break;
    const indexed = types.flatMap((t) => byType.get(t) ?? []);
    for (const t of types) byType.delete(t); // let each phase's list go once it is done
    if (indexed.length === 0) continue;
    const live = types[0] === "blob" ? await liveLinks(root, limit) : undefined;
    const finished: number[] = [];
    const run = async ({ action, index }: { action: PlanAction; index: number }) => {
      if (options.signal?.aborted) return;
      if ("repository" in action && stale.has(action.repository)) {
        skip(index, action, stale.get(action.repository) as string);
        return;
      }
      let removedSomething = false;
      switch (action.type) {
        case "tag": {
          const current = await readText(
            join(root, pathFor({ kind: "tag-current-link", repository: action.repository, tag: action.tag })),
          );
          if (current !== undefined && action.current !== undefined && current !== action.current) {
            skip(index, action, `tag moved to ${current} since the plan was made`);
            return;
          }
          // An empty tag folder is still listed by tags/list, so it goes with the tag, not in the prune phase.
          for (const f of action.files)
            removedSomething = (await removeFile(join(root, f))) || removedSomething;
          for (const f of action.files) await removeOwnDirs(root, f, action.path);
          break;
        }
        case "revision":
          for (const f of action.files)
            removedSomething = (await removeFile(join(root, f))) || removedSomething;
          for (const f of action.files) await removeOwnDirs(root, f, ownDir(action));
          break;
        case "tag-index-entry":
        case "layer-link":
          removedSomething = await removeFile(join(root, action.path));
          await removeOwnDirs(root, action.path, ownDir(action));
          break;
        case "blob":
          if (live?.has(action.digest)) {
            skip(index, action, "a repository links it again since the plan was made");
            return;
          }
          removedSomething = await removeFile(join(root, action.path));
          if (removedSomething) report.bytesFreed += action.bytes;
          await removeOwnDirs(root, action.path, ownDir(action));
          break;
        case "upload": {
          const info = await lstat(join(root, action.path)).catch(() => undefined);
          if (info?.isDirectory()) {
            await rm(join(root, action.path), { recursive: true, force: true });
            removedSomething = true;
            report.bytesFreed += action.bytes;
          }
          break;
        }
        case "prune":
          removedSomething = await removeEmptyDir(join(root, action.path));
          break;
      }
      report.done++;
      if (!removedSomething) report.alreadyGone++;
      finished.push(index);
      tick();
    };
    // Folders go deepest first (a parent only after its children); referrers before indexes before the
    // rest. Within one such group the order does not matter, so it runs in parallel.
    const groupOf = ({ action }: { action: PlanAction }): number =>
      action.type === "prune"
        ? -action.path.split("/").length
        : action.type === "revision"
          ? action.stage
          : 0;
    const groups = new Map<number, typeof indexed>();
    for (const item of indexed) {
      const key = groupOf(item);
      const group = groups.get(key);
      if (group) group.push(item);
      else groups.set(key, [item]);
    }
    for (const key of [...groups.keys()].sort((a, b) => a - b)) {
      await forEachLimited(groups.get(key) ?? [], concurrency, run);
    }
    await journal.record(finished);
  }
  if (!options.signal?.aborted) await journal.finish();
  return report;
}
