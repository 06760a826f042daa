import { existsSync } from "node:fs";
import { join } from "node:path";
import { registryVersions } from "./registry-versions.js";
import { cacheDir } from "./repo-root.js";

/** Where `scripts/setup.sh` puts the binary of a registry version. */
export function cachedRegistryBinary(version: string): string {
  return join(cacheDir(), "registries", version, "registry");
}

/** The cached binary of a version, if setup fetched it. */
export function registryBinary(version: string): string | undefined {
  const cached = cachedRegistryBinary(version);
  if (existsSync(cached)) return cached;
  return undefined;
}

/** Versions that can run as a process on this machine, oldest first. */
export function availableRegistryVersions(): string[] {
  return registryVersions.map((v) => v.version).filter((v) => registryBinary(v) !== undefined);
}

/** The version tests use when they need just one: the newest available (override: REGSWEEP_TEST_REGISTRY). */
export function defaultTestVersion(): string {
  const wanted = process.env.REGSWEEP_TEST_REGISTRY;
  const available = availableRegistryVersions();
  if (wanted) {
    if (!available.includes(wanted)) {
      throw new Error(`registry ${wanted} is not in .cache/registries: run scripts/setup.sh`);
    }
    return wanted;
  }
  const newest = available.at(-1);
  if (!newest) {
    throw new Error(
      "no registry binary in .cache/registries: run scripts/setup.sh (it fetches them with apt)",
    );
  }
  return newest;
}
