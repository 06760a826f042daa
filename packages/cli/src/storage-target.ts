import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import {
  InvalidRequestError,
  NotAStorageTreeError,
  type RegistryS3Section,
  type S3StoreOptions,
  type S3Target,
  s3TargetFromRegistryConfig,
  s3TargetFromUrl,
} from "@regsweep/cleaner";
import { parse } from "yaml";

/** Where the storage tree is, as the user can say it. */
export interface StorageTargetOptions {
  storage?: string;
  config?: string;
  ioThreads?: string;
  /** `--concurrency`: requests in flight at once, to a bucket or to the registry's HTTP API. */
  concurrency?: string;
  /** `--s3-endpoint`, `--s3-region`, `--s3-skip-verify`: for `--storage s3://bucket/prefix` only. */
  s3Endpoint?: string;
  s3Region?: string;
  s3SkipVerify?: boolean;
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

/**
 * `--concurrency` as a number (undefined when not given: each target's own default, the S3 store's 32, the
 * HTTP client's 16). One flag for both: what it bounds is requests in flight, whichever server gets them.
 */
export function concurrencyOption(options: { concurrency?: string }): number | undefined {
  if (options.concurrency === undefined) return undefined;
  const n = Number(options.concurrency);
  if (!Number.isInteger(n) || n < 1 || n > 256)
    throw new InvalidRequestError(
      `--concurrency must be a whole number from 1 to 256, not '${options.concurrency}'`,
    );
  return n;
}

/** The S3 store's options from the flags: `--concurrency` caps its requests in flight. */
export function s3StoreOptions(options: StorageTargetOptions): S3StoreOptions {
  const concurrency = concurrencyOption(options);
  return concurrency !== undefined ? { concurrency } : {};
}

/** A storage tree on disk (its rootdirectory) or in a bucket (under a key prefix). */
export type StorageLocation = { kind: "fs"; root: string } | { kind: "s3"; target: S3Target };

const V2_SUFFIX = /\/docker\/registry\/v2\/?$/;
/** Sections of `storage:` that are settings, not drivers. */
const NOT_DRIVERS = new Set(["delete", "maintenance", "cache", "redirect", "tag"]);
/** Drivers regsweep can work on offline. */
const OFFLINE_DRIVERS = new Set(["filesystem", "s3"]);

/** Accepts the rootdirectory or the seed's REGISTRY_DATA_DIR form (`…/docker/registry/v2`). */
function normalise(path: string): string {
  const absolute = resolve(path);
  return V2_SUFFIX.test(absolute) ? dirname(dirname(dirname(absolute))) : absolute;
}

function s3Flags(options: StorageTargetOptions): string[] {
  return [
    options.s3Endpoint !== undefined ? "--s3-endpoint" : undefined,
    options.s3Region !== undefined ? "--s3-region" : undefined,
    options.s3SkipVerify ? "--s3-skip-verify" : undefined,
  ].filter((f): f is string => f !== undefined);
}

/** `s3://bucket/prefix` with the `--s3-*` flags (a plan's source, or `--storage`). */
export function s3LocationFromUrl(
  url: string,
  options: StorageTargetOptions,
  env: NodeJS.ProcessEnv,
): StorageLocation {
  return {
    kind: "s3",
    target: s3TargetFromUrl(
      url,
      {
        ...(options.s3Endpoint !== undefined ? { endpoint: options.s3Endpoint } : {}),
        ...(options.s3Region !== undefined ? { region: options.s3Region } : {}),
        ...(options.s3SkipVerify ? { skipVerify: true } : {}),
      },
      env,
    ),
  };
}

/**
 * The storage tree to work on: `--storage` (a folder, or `s3://bucket/prefix`), else the registry's own
 * config file (its `filesystem` or `s3` section, with the registry's `REGISTRY_STORAGE_*` environment
 * overrides), else the seed script's `REGISTRY_DATA_DIR`.
 */
export async function resolveStorageLocation(
  options: StorageTargetOptions,
  env: NodeJS.ProcessEnv,
): Promise<StorageLocation> {
  const isS3Url = options.storage?.startsWith("s3://") ?? false;
  const flags = s3Flags(options);
  if (flags.length > 0 && !isS3Url)
    throw new InvalidRequestError(
      `${flags.join(", ")} go${flags.length === 1 ? "es" : ""} with --storage s3://bucket/prefix${options.config ? " (a registry config names its own endpoint)" : ""}`,
    );
  if (options.storage && isS3Url) return s3LocationFromUrl(options.storage, options, env);
  if (options.storage) return { kind: "fs", root: normalise(options.storage) };
  if (options.config) return locationFromConfig(options.config, env);
  if (env.REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY)
    return { kind: "fs", root: normalise(env.REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY) };
  if (env.REGISTRY_DATA_DIR) return { kind: "fs", root: normalise(env.REGISTRY_DATA_DIR) };
  throw new InvalidRequestError(
    "no storage tree given: use --storage <dir|s3://bucket/prefix>, --config <registry config.yml>, or set REGISTRY_DATA_DIR",
  );
}

/** The registry's config file as the registry reads it: the driver its `storage` names (or `REGISTRY_STORAGE`). */
async function locationFromConfig(file: string, env: NodeJS.ProcessEnv): Promise<StorageLocation> {
  let doc: { storage?: Record<string, Record<string, unknown> | null | undefined> };
  try {
    doc = (parse(await readFile(file, "utf8")) ?? {}) as typeof doc;
  } catch (error) {
    throw new NotAStorageTreeError(file, `cannot read the registry config: ${(error as Error).message}`);
  }
  const drivers = Object.keys(doc.storage ?? {}).filter((k) => !NOT_DRIVERS.has(k));
  // As distribution: REGISTRY_STORAGE names the driver over the file's (its settings then from the env).
  const driver = env.REGISTRY_STORAGE ?? drivers[0] ?? "filesystem";
  if (!OFFLINE_DRIVERS.has(driver)) {
    throw new InvalidRequestError(
      `the registry in ${file} uses the '${driver}' storage driver; offline mode works on 'filesystem' and 's3' (use --registry for the HTTP API)`,
    );
  }
  const section = (
    driver === env.REGISTRY_STORAGE && !drivers.includes(driver) ? {} : (doc.storage?.[driver] ?? {})
  ) as Record<string, unknown>;
  if (driver === "s3")
    return { kind: "s3", target: s3TargetFromRegistryConfig(section as RegistryS3Section, env) };
  const root =
    env.REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY ??
    (typeof section.rootdirectory === "string" ? section.rootdirectory : undefined) ??
    "/var/lib/registry";
  return { kind: "fs", root: normalise(root) };
}
