import { isRepositoryComponent } from "../model/reference.js";
import { settled } from "../stores/outcome.js";
import { isStoreFailure, type Store, type StoreEntryKind } from "../stores/store.js";
import { REPOSITORIES_ROOT } from "./storage-paths.js";

/** A repository in the tree: its name and its folder (store-relative). */
export interface FoundRepository {
  name: string;
  dir: string;
}

/** The folders a repository holds, as `paths.go` names them. */
const REPOSITORY_SECTIONS = new Set(["_manifests", "_layers", "_uploads"]);

/** What the walk meets besides repositories, for whoever reports on the tree (paths store-relative). */
export interface RepositoryWalkObserver {
  /** A symbolic link or a file where only folders belong (never followed). */
  stray?: (path: string, kind: StoreEntryKind) => void;
  /**
   * A folder outside the grammar: a name no repository can have (`lost+found`, `.Trash-1000`; everything below
   * it is kept), or a `_`-folder a repository does not hold.
   */
  odd?: (path: string, why: "name" | "section") => void;
  /** A folder outside the grammar that the store will not list (e.g. a root-only `lost+found`). */
  unreadable?: (path: string, code: string) => void;
  /** A folder on the way that holds nothing (only inside the grammar: the rest is never pruned). */
  empty?: (dir: string) => void;
}

interface Level extends FoundRepository {
  /** Every component of the name is in the grammar. */
  valid: boolean;
}

/**
 * The repositories under `docker/registry/v2/repositories`, sorted by name. A folder holding
 * `_`-prefixed folders (`_manifests`, `_layers`, `_uploads`) is a repository; its other folders may hold
 * more (names nest: `team/app`), so the walk goes on below it, breadth first, one batch per level. Folders
 * outside the grammar are walked too, so what they link still counts (the planner deletes nothing in them).
 */
export async function findRepositories(
  store: Store,
  observe: RepositoryWalkObserver = {},
): Promise<FoundRepository[]> {
  const found: FoundRepository[] = [];
  let level: Level[] = [{ dir: REPOSITORIES_ROOT, name: "", valid: true }];
  while (level.length > 0) {
    const listings = await store.list(level.map((l) => l.dir));
    const next: Level[] = [];
    level.forEach(({ dir, name, valid }, i) => {
      const listing = listings[i];
      if (!valid && isStoreFailure(listing)) {
        observe.unreadable?.(dir, listing.code);
        return;
      }
      const entries = settled(store, listing, dir) ?? [];
      if (name && valid && entries.length === 0) observe.empty?.(dir);
      let isRepository = false;
      for (const { name: entry, kind } of entries) {
        const path = `${dir}/${entry}`;
        if (kind !== "dir") observe.stray?.(path, kind);
        else if (entry.startsWith("_")) {
          if (name && REPOSITORY_SECTIONS.has(entry)) isRepository = true;
          else observe.odd?.(path, name ? "section" : "name");
        } else {
          const ok = isRepositoryComponent(entry);
          if (valid && !ok) observe.odd?.(path, "name");
          next.push({ dir: path, name: name ? `${name}/${entry}` : entry, valid: valid && ok });
        }
      }
      if (isRepository) found.push({ name, dir });
    });
    level = next;
  }
  return found.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
