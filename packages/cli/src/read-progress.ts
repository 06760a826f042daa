import type { Inventory, RegistryReadProgress, StorageReadProgress } from "@regsweep/cleaner";
import type { CliIo } from "./cli-io.js";
import type { CliBackend } from "./flow/open-backend.js";
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

/** A backend's inventory, with the progress line of its kind on the terminal (none with `quiet`). */
export async function readInventoryShowingProgress(
  backend: CliBackend,
  io: CliIo,
  options: { quiet?: boolean } = {},
): Promise<Inventory> {
  let latest: Readonly<StorageReadProgress & RegistryReadProgress> | undefined;
  const text = () =>
    backend.kind === "storage" ? storageProgressText(latest) : registryProgressText(latest);
  const line = startProgressLine(io, text, { quiet: Boolean(options.quiet) });
  try {
    return await backend.readInventory({
      onProgress: (p: object) => {
        latest = p as typeof latest;
      },
      // A Ctrl-C stops an offline read between rounds (the HTTP client stops on its own signal).
      ...(io.signal ? { signal: io.signal } : {}),
    });
  } finally {
    line.stop();
  }
}
