import { settled } from "../stores/outcome.js";
import type { Store, StoreEntryKind } from "../stores/store.js";
import { REPOSITORIES_ROOT } from "./storage-paths.js";

/** A repository in the tree: its name and its folder (store-relative). */
export interface FoundRepository {
  name: string;
  dir: string;
}

/** What the walk meets besides repositories, for whoever reports on the tree. */
export interface RepositoryWalkObserver {
  /** A symbolic link or a file where only folders belong (never followed); store-relative. */
  stray?: (path: string, kind: StoreEntryKind) => void;
  /** A folder on the way that holds nothing. */
  empty?: (dir: string) => void;
}

/**
 * The repositories under `docker/registry/v2/repositories`, sorted by name. A folder holding
 * `_`-prefixed folders (`_manifests`, `_layers`, `_uploads`) is a repository; its other folders may hold
 * more (names nest: `team/app`), so the walk goes on below it, breadth first, one batch per level.
 */
export async function findRepositories(
  store: Store,
  observe: RepositoryWalkObserver = {},
): Promise<FoundRepository[]> {
  const found: FoundRepository[] = [];
  let level: FoundRepository[] = [{ dir: REPOSITORIES_ROOT, name: "" }];
  while (level.length > 0) {
    const listings = await store.list(level.map((l) => l.dir));
    const next: FoundRepository[] = [];
    level.forEach(({ dir, name }, i) => {
      const entries = settled(store, listings[i], dir) ?? [];
      if (name && entries.length === 0) observe.empty?.(dir);
      let isRepository = false;
      for (const { name: entry, kind } of entries) {
        if (kind !== "dir") observe.stray?.(`${dir}/${entry}`, kind);
        else if (entry.startsWith("_")) isRepository = true;
        else next.push({ dir: `${dir}/${entry}`, name: name ? `${name}/${entry}` : entry });
      }
      if (isRepository) found.push({ name, dir });
    });
    level = next;
  }
  return found.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
