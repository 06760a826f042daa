import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The monorepo's root folder (the one holding pnpm-workspace.yaml), found from this module's location. */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, "pnpm-workspace.yaml"))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error("cannot find the regsweep repository root (pnpm-workspace.yaml)");
    dir = parent;
  }
}

/** The repository's ignored cache folder, where setup puts registry binaries and the Docker engine. */
export function cacheDir(): string {
  return process.env.REGSWEEP_CACHE_DIR ?? join(repoRoot(), ".cache");
}
