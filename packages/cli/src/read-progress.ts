import {
  type Inventory,
  type ReadRegistryOptions,
  type ReadStorageOptions,
  type RegistryClient,
  type RegistryReadProgress,
  readRegistryInventory,
  readStorageInventory,
  type StorageReadProgress,
  type StoreTarget,
} from "@regsweep/cleaner";
import type { CliIo } from "./cli-io.js";
import { count, startProgressLine } from "./progress-line.js";

/** The progress line of an offline read: `reading storage: 120/640 repositories, 48,213 files`. */
export function storageProgressText(p: Readonly<StorageReadProgress> | undefined): string {
  if (!p || p.repositoriesTotal === 0) return "reading storage: finding repositories…";
  return `reading storage: ${count(p.repositories)}/${count(p.repositoriesTotal)} repositories, ${count(p.files)} files`;
}

/** The progress line of an online read: `reading registry: 12/100 repositories, 340 tags, 1,024 requests`. */
export function registryProgressText(p: Readonly<RegistryReadProgress> | undefined): string {
  if (!p) return "reading registry: listing repositories…";
  return `reading registry: ${count(p.repositories)}/${count(p.repositoriesTotal)} repositories, ${count(p.tags)} tags, ${count(p.requests)} requests`;
}

/** `readStorageInventory` with a progress line on the terminal (none without one, or with `quiet`). */
export async function readStorageInventoryShowingProgress(
  target: StoreTarget,
  io: CliIo,
  options: Omit<ReadStorageOptions, "onProgress"> & { quiet?: boolean } = {},
): Promise<Inventory> {
  const { quiet, ...readOptions } = options;
  let latest: Readonly<StorageReadProgress> | undefined;
  const line = startProgressLine(io, () => storageProgressText(latest), { quiet: Boolean(quiet) });
  try {
    return await readStorageInventory(target, {
      ...readOptions,
      onProgress: (p) => {
        latest = p;
      },
    });
  } finally {
    line.stop();
  }
}

/** `readRegistryInventory` with a progress line on the terminal (none without one, or with `quiet`). */
export async function readRegistryInventoryShowingProgress(
  client: RegistryClient,
  io: CliIo,
  options: Omit<ReadRegistryOptions, "onProgress"> & { quiet?: boolean } = {},
): Promise<Inventory> {
  const { quiet, ...readOptions } = options;
  let latest: Readonly<RegistryReadProgress> | undefined;
  const line = startProgressLine(io, () => registryProgressText(latest), { quiet: Boolean(quiet) });
  try {
    return await readRegistryInventory(client, {
      ...readOptions,
      onProgress: (p) => {
        latest = p;
      },
    });
  } finally {
    line.stop();
  }
}
