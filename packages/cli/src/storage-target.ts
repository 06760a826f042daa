import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { InvalidRequestError, NotAStorageTreeError } from "@regsweep/cleaner";
import { parse } from "yaml";

/** Where the storage tree is, as the user can say it. */
export interface StorageTargetOptions {
  storage?: string;
  config?: string;
  ioThreads?: string;
}

/** `--io-threads` as the library takes it (undefined: the library's defaults). */
export function ioThreads(options: StorageTargetOptions): { ioThreads?: number } {
  if (options.ioThreads === undefined) return {};
  const n = Number(options.ioThreads);
  if (!Number.isInteger(n) || n < 1 || n > 64)
    throw new InvalidRequestError(
      `--io-threads must be a whole number from 1 to 64, not '${options.ioThreads}'`,
    );
  return { ioThreads: n };
}

const V2_SUFFIX = /\/docker\/registry\/v2\/?$/;

/** Accepts the rootdirectory or the seed's REGISTRY_DATA_DIR form (`…/docker/registry/v2`). */
function normalise(path: string): string {
  const absolute = resolve(path);
  return V2_SUFFIX.test(absolute) ? dirname(dirname(dirname(absolute))) : absolute;
}

/**
 * The storage root to work on: `--storage`, else the registry's own config file (with the registry's
 * `REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY` override), else the seed script's `REGISTRY_DATA_DIR`.
 */
export async function resolveStorageRoot(
  options: StorageTargetOptions,
  env: NodeJS.ProcessEnv,
): Promise<string> {
  if (options.storage) return normalise(options.storage);
  if (options.config) {
    let doc: { storage?: Record<string, { rootdirectory?: string } | undefined> };
    try {
      doc = (parse(await readFile(options.config, "utf8")) ?? {}) as typeof doc;
    } catch (error) {
      throw new NotAStorageTreeError(
        options.config,
        `cannot read the registry config: ${(error as Error).message}`,
      );
    }
    const drivers = Object.keys(doc.storage ?? {}).filter(
      (k) => !["delete", "maintenance", "cache", "redirect", "tag"].includes(k),
    );
    if (drivers.length > 0 && !drivers.includes("filesystem")) {
      throw new InvalidRequestError(
        `the registry in ${options.config} uses the '${drivers[0]}' storage driver; offline mode needs 'filesystem' (use --registry for the HTTP API)`,
      );
    }
    const root =
      env.REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY ??
      doc.storage?.filesystem?.rootdirectory ??
      "/var/lib/registry";
    return normalise(root);
  }
  if (env.REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY)
    return normalise(env.REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY);
  if (env.REGISTRY_DATA_DIR) return normalise(env.REGISTRY_DATA_DIR);
  throw new InvalidRequestError(
    "no storage tree given: use --storage <dir>, --config <registry config.yml>, or set REGISTRY_DATA_DIR",
  );
}
