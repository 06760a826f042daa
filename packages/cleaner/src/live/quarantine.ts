import pLimit from "p-limit";
import { STATE_DIR } from "../storage/storage-lock.js";
import { settled } from "../stores/outcome.js";
import type { Store } from "../stores/store.js";

/**
 * Where a live deletion holds an item's key file before it is final: regsweep's own folder of the store,
 * under the tree's own relative path (on a filesystem the same disk, so a hold is one atomic rename).
 */
export const QUARANTINE_DIR = `${STATE_DIR}/quarantine`;

const limit = pLimit(16);

/** What became of a held file when it was let go of. */
export type Release = "restored" | "superseded" | "discarded";

/** A tag's current link names what the tag points at, which a push may change: never put back over one. */
const isTagLink = (path: string) => /\/_manifests\/tags\/[^/]+\/current\/link$/.test(path);

/**
 * Files of a storage tree moved aside for a while: from the registry's view they are deleted (a lookup
 * finds nothing), yet nothing is lost until `discard`. `restore` puts one back unless the registry wrote
 * the path anew meanwhile. Every other key file is content-addressed (a link holds its own digest, blob
 * data hashes to it), so putting it back over a copy the registry just wrote changes no byte.
 */
export class Quarantine {
  constructor(private readonly store: Store) {}

  private held(path: string): string {
    return `${QUARANTINE_DIR}/${path}`;
  }

  /** Moves each store-relative path aside; `false` for one that was not there. */
  async hold(paths: readonly string[]): Promise<boolean[]> {
    return Promise.all(
      paths.map((path) =>
        limit(async () => {
          try {
            await this.store.move(path, this.held(path));
            return true;
          } catch (error) {
            const [now] = await this.store.stat([path]);
            if (settled(this.store, now, path) === undefined) return false;
            throw error;
          }
        }),
      ),
    );
  }

  /** Puts a held file back where it was; if the registry wrote that path again meanwhile, keeps the registry's. */
  async restore(path: string): Promise<Release> {
    const from = this.held(path);
    const [there] = await this.store.stat([path]);
    if (settled(this.store, there, path) !== undefined) {
      await this.discard(path);
      return "superseded";
    }
    if (isTagLink(path)) {
      const [held] = await this.store.readSmall([from]);
      const text = settled(this.store, held, from)?.text;
      if (text !== undefined && !(await this.store.putExclusive(path, text))) {
        await this.discard(path);
        return "superseded";
      }
      await this.discard(path);
      return "restored";
    }
    await this.store.move(from, path);
    return "restored";
  }

  /** Deletes a held file for good. */
  async discard(path: string): Promise<Release> {
    await this.store.remove(this.held(path));
    return "discarded";
  }

  /** Removes the quarantine's folders once nothing is held. */
  async tidy(): Promise<void> {
    await this.store.deletePrefix([QUARANTINE_DIR], { onBatch: () => {} });
  }

  /**
   * Puts back everything a killed run left held (a kill -9 between hold and discard): held means "not yet
   * decided", and undecided is kept. Returns the store-relative paths put back (or found rewritten).
   */
  static async recover(store: Store): Promise<string[]> {
    const files: string[] = [];
    for await (const batch of store.walk(QUARANTINE_DIR))
      for (const entry of batch)
        if (entry.kind === "file") files.push(entry.path.slice(QUARANTINE_DIR.length + 1));
    if (files.length === 0) return [];
    const quarantine = new Quarantine(store);
    await Promise.all(files.map((f) => limit(() => quarantine.restore(f))));
    await quarantine.tidy();
    return files.sort();
  }
}
