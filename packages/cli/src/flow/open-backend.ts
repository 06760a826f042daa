import {
  HttpBackend,
  type HttpBackendOptions,
  InvalidRequestError,
  type Plan,
  S3Store,
  type S3StoreOptions,
  StorageBackend,
} from "@regsweep/cleaner";
import type { CliIo } from "../cli-io.js";
import { type RegistryTargetOptions, registryClientFor } from "../registry-target.js";
import {
  ioThreads,
  resolveStorageLocation,
  type StorageLocation,
  type StorageTargetOptions,
  s3LocationFromUrl,
  s3StoreOptions,
} from "../storage-target.js";

/** The backend a command works through: a storage tree, or the Registry HTTP API. */
export type CliBackend = StorageBackend | HttpBackend;

/** What choosing a backend reads from the flags. */
export interface BackendFlags extends StorageTargetOptions, RegistryTargetOptions {
  /** Online on 2.x: delete a tag by its digest even when kept tags share it. */
  cascadeTags?: boolean;
  /** Online: also unlink the blobs only deleted manifests used. */
  deleteLayers?: boolean;
  quiet?: boolean;
  verbose?: boolean;
}

/** Where a test hook fires: request `n` of the run (from 0), or request `n` of one S3 operation. */
interface RequestPoint {
  operation?: string;
  n: number;
  signal: NodeJS.Signals;
}

/** `<n>` or `<Operation>:<n>` (`DeleteObjects:1`, the run's second DeleteObjects). */
function requestPoint(value: string | undefined, signal: NodeJS.Signals): RequestPoint | undefined {
  if (value === undefined) return undefined;
  const match = /^(?:([A-Za-z0-9]+):)?(\d+)$/.exec(value);
  if (!match) throw new Error(`test hook: '${value}' is not <n> or <Operation>:<n>`);
  return { ...(match[1] ? { operation: match[1] } : {}), n: Number(match[2]), signal };
}

/**
 * Test hooks: with REGSWEEP_TEST_KILL_AT_S3_REQUEST=<n> the process kills itself with SIGKILL just before its
 * S3 request number n (from 0) goes out, so a test can kill -9 a run at every request it sends; with
 * `<Operation>:<n>` (`DeleteObjects:1`) just before request n of that operation instead, a point that does
 * not move with the size of the read. REGSWEEP_TEST_INTERRUPT_AT_S3_REQUEST sends itself SIGINT there
 * instead (a Ctrl-C at a known point).
 */
export function signalAtRequest(
  env: NodeJS.ProcessEnv,
  send: (signal: NodeJS.Signals) => void = (signal) => process.kill(process.pid, signal),
): S3StoreOptions["beforeRequest"] {
  const points = [
    requestPoint(env.REGSWEEP_TEST_KILL_AT_S3_REQUEST, "SIGKILL"),
    requestPoint(env.REGSWEEP_TEST_INTERRUPT_AT_S3_REQUEST, "SIGINT"),
  ].filter((p): p is RequestPoint => p !== undefined);
  if (points.length === 0) return undefined;
  const sentOf = new Map<string, number>();
  return (sentBefore, operation) => {
    const ofOperation = sentOf.get(operation) ?? 0;
    sentOf.set(operation, ofOperation + 1);
    for (const p of points) {
      const at = p.operation === undefined ? sentBefore : p.operation === operation ? ofOperation : -1;
      if (at === p.n) send(p.signal);
    }
  };
}

/** A storage location as a backend that owns what it opened (the S3 store). */
function storageBackend(location: StorageLocation, flags: BackendFlags, io: CliIo): StorageBackend {
  if (location.kind === "fs") return new StorageBackend(location.root, ioThreads(flags));
  // -v: the S3 store's request summary (requests sent, what the server throttled) when it closes.
  const onClose = flags.verbose ? (summary: string) => io.err(summary) : undefined;
  const beforeRequest = signalAtRequest(io.env);
  const store = new S3Store(location.target, {
    ...s3StoreOptions(flags),
    ...(onClose ? { onClose } : {}),
    ...(beforeRequest ? { beforeRequest } : {}),
  });
  return new StorageBackend(store, ioThreads(flags));
}

/**
 * A test hook: with REGSWEEP_TEST_PAUSE_AFTER_PLACEHOLDER_PUT=<file>, the process writes <file> once a tag
 * names its placeholder and then waits, so a test can kill -9 it between the PUT and the DELETE.
 */
function placeholderHooks(env: NodeJS.ProcessEnv): HttpBackendOptions["placeholder"] {
  const marker = env.REGSWEEP_TEST_PAUSE_AFTER_PLACEHOLDER_PUT;
  if (!marker) return undefined;
  return {
    afterPut: async (repository, tag, placeholder) => {
      const { rename, writeFile } = await import("node:fs/promises");
      // Renamed into place: a test polling for the file must never read it half-written.
      await writeFile(`${marker}.part`, `${repository}:${tag} ${placeholder}\n`);
      await rename(`${marker}.part`, marker);
      // A pending promise alone would let the process end: a timer keeps it waiting for the kill.
      await new Promise(() => setInterval(() => {}, 60_000));
    },
  };
}

/** The Registry HTTP API at `url` (with the auth and TLS flags) as a backend. */
async function httpBackend(url: string, flags: BackendFlags, io: CliIo): Promise<HttpBackend> {
  if (flags.password !== undefined && !flags.quiet)
    io.err(
      "warning: a password given with -P is visible to other users of this machine; prefer --password-stdin",
    );
  const client = await registryClientFor({ ...flags, registry: url }, io.env, io.signal);
  const placeholder = placeholderHooks(io.env);
  return new HttpBackend(client, {
    ...(flags.cascadeTags ? { cascadeTags: true } : {}),
    ...(flags.deleteLayers ? { deleteLayers: true } : {}),
    ...(placeholder ? { placeholder } : {}),
  });
}

/**
 * The one place a command chooses its backend from the flags: `--registry` works online through the HTTP
 * API; `--storage`, `--config` or the seed's environment name a storage tree (a folder or a bucket). Close
 * it when done (`await using`).
 */
export async function openBackend(flags: BackendFlags, io: CliIo): Promise<CliBackend> {
  if (flags.registry !== undefined) {
    if (flags.storage !== undefined || flags.config !== undefined)
      throw new InvalidRequestError("--registry works online; --storage/--config offline: give one of them");
    return httpBackend(flags.registry, flags, io);
  }
  return openStorageBackend(flags, io);
}

/**
 * The storage tree the flags name, for the commands that only read a tree (`du`, `check`: sizes on disk and
 * digests re-hashed are not what the HTTP API shows).
 */
export async function openStorageBackend(flags: BackendFlags, io: CliIo): Promise<StorageBackend> {
  return storageBackend(await resolveStorageLocation(flags, io.env), flags, io);
}

/**
 * The backend a saved plan is applied through: the one the flags name (its apply refuses a plan made for
 * another, `plan.other-backend`), else the plan's own at its source (the registry's URL, the folder, or
 * `s3://bucket/prefix` with the `--s3-*` flags).
 */
export async function openBackendForPlan(plan: Plan, flags: BackendFlags, io: CliIo): Promise<CliBackend> {
  if (flags.registry !== undefined || flags.storage !== undefined || flags.config !== undefined)
    return openBackend(flags, io);
  if (plan.backend === "http") return httpBackend(plan.source, flags, io);
  if (plan.source.startsWith("s3://"))
    return storageBackend(s3LocationFromUrl(plan.source, flags, io.env), flags, io);
  return openBackend({ ...flags, storage: plan.source }, io);
}
