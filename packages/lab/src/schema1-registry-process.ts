import type { CellStorage } from "./cell-storage.js";
import { type LabRegistryProcess, startLabRegistryProcess } from "./lab-registry-process.js";

/** The config block that lets 2.7+ take signed schema1 PUTs (older versions ignore the unknown key). */
export const SCHEMA1_COMPATIBILITY_YAML = "compatibility:\n  schema1:\n    enabled: true\n";

/** The same switch as an environment override, for registries in containers. */
export const SCHEMA1_COMPATIBILITY_ENV = { REGISTRY_COMPATIBILITY_SCHEMA1_ENABLED: "true" } as const;

/** A registry process the lab started itself; `stop()` ends it and removes its config (not the tree). */
export type Schema1RegistryProcess = LabRegistryProcess;

/**
 * Starts the cached binary of `version` (or `binary`) on the cell's storage (folder or bucket) with
 * `compatibility.schema1.enabled`:
 * 2.7+ answer a schema1 PUT with "manifest schema v1 unsupported" otherwise, and the testbed's process
 * starter writes a fixed config.
 */
export function startSchema1RegistryProcess(
  version: string,
  storage: Pick<CellStorage, "root" | "s3">,
  binary?: string,
): Promise<Schema1RegistryProcess> {
  return startLabRegistryProcess({
    version,
    storageRoot: storage.root,
    ...(storage.s3 ? { s3: storage.s3 } : {}),
    extraConfigYaml: SCHEMA1_COMPATIBILITY_YAML,
    ...(binary !== undefined ? { binary } : {}),
  });
}
