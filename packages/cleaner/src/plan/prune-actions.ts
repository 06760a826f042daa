import type { Inventory } from "../model/inventory.js";
import type { PlanAction } from "../model/plan.js";
import { BLOBS_ROOT, pathFor, REPOSITORIES_ROOT } from "../storage/storage-paths.js";
import { ownDir } from "./plan-paths.js";

const STOPS: ReadonlySet<string> = new Set([REPOSITORIES_ROOT, BLOBS_ROOT]);
const UNDER_REPOSITORIES = `${REPOSITORIES_ROOT}/`;
const UNDER_BLOBS = `${BLOBS_ROOT}/`;

/**
 * The folders above `path` up to (not including) `repositories/` or `blobs/`, into `into`. `climbed` holds
 * the folders whose whole chain is in `into` already: a climb stops at the first of them (300k actions share a
 * few thousand parents, and climbing each chain to the top was most of planning's folder work).
 */
function ancestors(path: string, into: Set<string>, climbed: Set<string>): void {
  let dir = path.slice(0, path.lastIndexOf("/"));
  while (
    dir.includes("/") &&
    !STOPS.has(dir) &&
    (dir.startsWith(UNDER_REPOSITORIES) || dir.startsWith(UNDER_BLOBS))
  ) {
    if (climbed.has(dir)) return;
    climbed.add(dir);
    into.add(dir);
    dir = dir.slice(0, dir.lastIndexOf("/"));
  }
}

/** Stray entries by the folder holding them directly (`in`) and by every folder above them (`below`). */
interface StrayIndex {
  in: Map<string, string[]>;
  below: Map<string, string[]>;
}

function indexStrays(strays: readonly string[]): StrayIndex {
  const below = new Map<string, string[]>();
  const within = new Map<string, string[]>();
  for (const stray of strays) {
    const parent = stray.slice(0, stray.lastIndexOf("/"));
    within.set(parent, [...(within.get(parent) ?? []), stray.slice(parent.length + 1)]);
    for (let dir = parent; dir.includes("/"); dir = dir.slice(0, dir.lastIndexOf("/")))
      below.set(dir, [...(below.get(dir) ?? []), stray.slice(dir.length + 1)]);
  }
  return { in: within, below };
}

/** What the folder work needs to know about the plan besides the inventory. */
export interface PruneInput {
  /** The plan's file actions, in apply order (strays are attached to them here). */
  fileActions: PlanAction[];
  repositoriesRemoved: readonly string[];
  /** Also the folders that were empty before (`--prune`, and gc). */
  pruneEmpty: boolean;
}

/**
 * The folder work of a plan, for stores with folders: attaches stray entries to the action whose folder holds
 * them (at any depth: a tag's index, a revision's signatures), and returns the prune actions, deepest first —
 * the shared folders above each action's own, a removed repository's skeleton and stray-only folders, and
 * (with `pruneEmpty`) folders that were empty already; never a folder holding something kept.
 */
export function planPrunes(inventory: Inventory, input: PruneInput): PlanAction[] {
  // No folders to see (the HTTP API): none to prune, and nothing stray in them.
  if (inventory.emptyDirs === undefined) return [];
  const emptyDirs = inventory.emptyDirs;
  const strays = indexStrays(inventory.strays ?? []);
  const pruneDirs = new Set<string>();
  const climbed = new Set<string>();
  for (const a of input.fileActions) {
    if (a.type === "prune") continue;
    const own = ownDir(a);
    // An upload's folder goes whole; aborting a multipart upload removes no folder.
    if (a.type !== "upload" && a.type !== "multipart-upload") {
      const here = strays.below.get(own);
      if (here) a.strays = here;
    }
    // Each action removes its own folder (see PlanAction); prune takes the shared folders above it.
    ancestors(own, pruneDirs, climbed);
  }
  // A removed repository also loses the skeleton folders the registry made in it (an emptied `_uploads/`,
  // `_manifests/tags/`…) and the layout's folders in it that hold nothing but strays (a link folder left with
  // only a `link.orig`): those that are there (removed only if empty, so an upload in flight keeps its
  // folders), so that a second run finds nothing to plan.
  for (const name of input.repositoriesRemoved) {
    const repo = `${pathFor({ kind: "repository", repository: name })}/`;
    for (const dir of [...emptyDirs, ...(inventory.skeletonDirs ?? []), ...strays.in.keys()]) {
      if (!dir.startsWith(repo)) continue;
      pruneDirs.add(dir);
      ancestors(`${dir}/x`, pruneDirs, climbed);
    }
  }
  const preExisting = new Set(input.pruneEmpty ? emptyDirs : []);
  for (const d of preExisting) {
    pruneDirs.add(d);
    ancestors(d, pruneDirs, climbed);
  }
  // A folder holding something regsweep keeps (an odd folder, a symbolic link it never removes, an upload
  // younger than the grace period, a folder of unread links) can never be emptied: no prune for it, nor its
  // strays, which stay with it (every run would plan it again).
  const strayPaths = new Set(inventory.strays ?? []);
  const kept: string[] = [];
  for (const f of inventory.findings)
    if (f.code.startsWith("entry.") && !strayPaths.has(f.path)) kept.push(f.path);
  const uploadsGoing = new Set(input.fileActions.flatMap((a) => (a.type === "upload" ? [ownDir(a)] : [])));
  for (const repo of inventory.repositories)
    for (const u of repo.uploads) {
      const dir = pathFor({ kind: "upload-dir", repository: repo.name, upload: u.id });
      if (!uploadsGoing.has(dir)) kept.push(dir);
    }
  for (const u of inventory.unreadLinks ?? []) kept.push(`${u.folder}/signatures`);
  const holdsKept = new Set<string>();
  for (const path of kept)
    for (
      let dir = path.slice(0, path.lastIndexOf("/"));
      dir.includes("/");
      dir = dir.slice(0, dir.lastIndexOf("/"))
    )
      holdsKept.add(dir);
  for (const dir of holdsKept) pruneDirs.delete(dir);
  // Deepest first, then by path; each folder's depth counted once, not in every comparison.
  const depth = (p: string) => {
    let n = 1;
    for (let i = p.indexOf("/"); i !== -1; i = p.indexOf("/", i + 1)) n++;
    return n;
  };
  return [...pruneDirs]
    .map((path) => ({ path, depth: depth(path) }))
    .sort((a, b) => b.depth - a.depth || (a.path < b.path ? -1 : 1))
    .map(({ path }): PlanAction => {
      const here = strays.in.get(path);
      return {
        type: "prune",
        path,
        reason: preExisting.has(path) ? "empty folder" : "emptied by this plan",
        ...(here ? { strays: here } : {}),
      };
    });
}
