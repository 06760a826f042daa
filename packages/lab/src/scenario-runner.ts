import {
  findRegistryVersion,
  type ManifestKind,
  type RegistryVersion,
  type S3ServerInfo,
  startRegistryProcess,
} from "@regsweep/testbed";
import { type CellStorage, createCellStorage, type StorageDriver } from "./cell-storage.js";
import { pinNodeFetchDispatcher } from "./fetch-dispatcher.js";
import { cellKinds, type FixtureMode } from "./fixture-mode.js";
import type { FixtureSet } from "./fixture-set.js";
import { LabError } from "./lab-errors.js";
import { startLabRegistryProcess } from "./lab-registry-process.js";
import { runRegsweep } from "./regsweep-cli.js";
import type { RegsweepResult, RegsweepRunOptions, Scenario, ScenarioContext } from "./scenario.js";
import { SCHEMA1_COMPATIBILITY_ENV, startSchema1RegistryProcess } from "./schema1-registry-process.js";
import { runUpstreamGarbageCollect } from "./upstream-gc.js";

/**
 * How registries run: cached binaries as processes, the local `regsweep/registry` images in containers, or
 * the official `registry:<version>` images (machines that reach Docker Hub, e.g. the Vagrant VM).
 */
export type RegistryRuntime = "process" | "container" | "official";

/**
 * Where a cell's registries come from: a runtime, and optionally a binary (process runtime) or image
 * (container runtime) a maintainer points at instead of the one cached for the version. The version
 * still picks the behaviour row of the testbed's table.
 */
export interface RegistrySource {
  runtime: RegistryRuntime;
  /** Process runtime: run this registry binary instead of `.cache/registries/<version>/registry`. */
  binary?: string;
  /** Container runtime: run this image instead of `regsweep/registry:<version>`. */
  image?: string;
}

/**
 * How `runScenarioCell` runs a cell: the registry source, the fixture mode, the storage driver, a signal that
 * interrupts it (Ctrl-C).
 */
export interface CellOptions extends RegistrySource {
  /** Default `native`. */
  fixtureMode?: FixtureMode;
  /** Default `filesystem`; `s3` needs `s3Server` (each cell gets a bucket of its own there). */
  storageDriver?: StorageDriver;
  /** The run's S3 server, for cells on the s3 driver. */
  s3Server?: S3ServerInfo;
  signal?: AbortSignal;
}

/** What a cell will do, decided from the version table before any registry starts. */
export interface CellPlan {
  kinds: ManifestKind[];
  /** Start the registry with `compatibility.schema1.enabled` (2.7+ refuse schema1 PUTs without). */
  schema1Compatibility: boolean;
  /** Set when the cell is skipped: why, in words a report prints. */
  skipReason?: string;
}

/** Plans one cell: the kinds it may push, and whether (and why) it is skipped. Pure. */
export function planCell(
  scenario: Scenario,
  version: RegistryVersion,
  mode: FixtureMode = "native",
  driver: StorageDriver = "filesystem",
): CellPlan {
  const kinds = cellKinds(version, mode);
  const schema1Compatibility = scenario.schema1Compatibility === true || kinds.includes("schema1");
  if (kinds.length === 0)
    return {
      kinds,
      schema1Compatibility,
      skipReason: `registry ${version.version} takes no ${mode} manifests (fixture mode ${mode})`,
    };
  const missing = (scenario.requires ?? []).filter((kind) => !kinds.includes(kind));
  const skipReason =
    missing.length > 0
      ? `registry ${version.version} in fixture mode ${mode} takes no ${missing.join(", ")}`
      : (scenario.skipReason?.(version, kinds) ?? scenario.storageSkipReason?.(driver));
  return { kinds, schema1Compatibility, ...(skipReason !== undefined ? { skipReason } : {}) };
}

/** A registry on a given storage tree, however it runs. */
interface LabRegistry {
  host: string;
  url: string;
  stop(): Promise<unknown>;
}

async function startLabRegistry(
  version: string,
  storage: CellStorage,
  source: RegistrySource,
  schema1Compatibility = false,
): Promise<LabRegistry> {
  const storageRoot = storage.root;
  const s3 = storage.s3 ? { s3: storage.s3 } : {};
  if (source.runtime === "process") {
    if (schema1Compatibility) return startSchema1RegistryProcess(version, storage, source.binary);
    return source.binary !== undefined
      ? startLabRegistryProcess({ version, storageRoot, ...s3, binary: source.binary })
      : startRegistryProcess({ version, storageRoot, ...s3 });
  }
  if (storage.s3)
    throw new LabError(
      "lab.usage",
      "the s3 storage driver runs registries as processes (--runtime process): the S3 server listens on the host's loopback",
    );
  // Loaded only when needed: testcontainers is heavy and needs a Docker engine.
  await pinNodeFetchDispatcher();
  const { RegistryContainer } = await import("./registry-container.js");
  const container =
    source.image !== undefined
      ? new RegistryContainer(version, source.image)
      : source.runtime === "official"
        ? RegistryContainer.official(version)
        : new RegistryContainer(version);
  if (schema1Compatibility) container.withEnvironment(SCHEMA1_COMPATIBILITY_ENV);
  return container.withStorageRoot(storageRoot).start();
}

/** The running cell was interrupted (Ctrl-C): its registries are stopped and its temp dirs removed. */
export class CellInterruptedError extends LabError {
  constructor(version: string, scenario: string) {
    super("lab.interrupted", `interrupted during ${version} × ${scenario}`);
  }
}

/** Outcome of one version × scenario cell. */
export type CellStatus = "pass" | "fail" | "skip";

/** One cell's result: status, time, and the log (the failure and what the scenario logged). */
export interface CellResult {
  version: string;
  scenario: string;
  /** The storage driver the cell's registry ran on. */
  storageDriver: StorageDriver;
  status: CellStatus;
  durationMs: number;
  error?: string;
  log: string[];
}

/** How long an s3 cell waits after stopping its registry: listings with whole-second ages (Swift). */
const S3_LISTING_SECOND_MS = 1_100;

// Commands that change the tree get the flags a user runs offline with: no prompt, nothing in flight.
const APPLYING_COMMANDS = new Set(["delete", "gc", "apply", "retain"]);

/**
 * The arguments the lab gives regsweep: where the storage is (`--storage <root>`, or `--config <file>` for a
 * bucket), and for commands that change the tree the flags a user runs offline with (no prompt; `--grace 0`
 * unless the scenario asks for another).
 */
export function regsweepArgv(
  storage: string | readonly string[],
  args: readonly string[],
  options: RegsweepRunOptions = {},
): string[] {
  const [command] = args;
  const where = typeof storage === "string" ? ["--storage", storage] : [...storage];
  return command && APPLYING_COMMANDS.has(command)
    ? [...args, ...where, "--yes", "--grace", options.grace ?? "0"]
    : [...args, ...where];
}

/** The arguments for an online run: the registry's URL, and for applying commands `--yes --grace`. */
export function registryArgv(
  url: string,
  args: readonly string[],
  options: RegsweepRunOptions = {},
): string[] {
  const [command] = args;
  return command && APPLYING_COMMANDS.has(command)
    ? [...args, "--registry", url, "--yes", "--grace", options.grace ?? "0"]
    : [...args, "--registry", url];
}

/**
 * Runs one scenario on a fresh registry of `version` with its own empty storage (a temp folder, or a
 * bucket of its own on the s3 driver), stopped and removed afterwards whatever happens. Failures become a `fail` cell; the only error it throws is
 * `CellInterruptedError` when `signal` aborts, after every registry it started is stopped and the tree removed.
 */
export async function runScenarioCell(
  scenario: Scenario,
  version: string,
  fixtures: FixtureSet,
  how: RegistryRuntime | CellOptions = "process",
): Promise<CellResult> {
  const options: CellOptions = typeof how === "string" ? { runtime: how } : how;
  const { signal } = options;
  const started = Date.now();
  const entry: RegistryVersion = findRegistryVersion(version);
  const log: string[] = [];
  const fixtureMode = options.fixtureMode ?? "native";
  const storageDriver = options.storageDriver ?? "filesystem";
  const plan = planCell(scenario, entry, fixtureMode, storageDriver);
  const { skipReason } = plan;
  const cell = { version, scenario: scenario.name, storageDriver };
  if (skipReason !== undefined) {
    return { ...cell, status: "skip", durationMs: 0, error: skipReason, log };
  }
  const interrupted = () => new CellInterruptedError(version, scenario.name);
  if (signal?.aborted) throw interrupted();
  // Every registry the cell started and has not stopped: an interrupt stops them all, whatever the scenario
  // was doing (restart and offline start new ones).
  const live = new Set<LabRegistry>();
  const start = async (): Promise<LabRegistry> => {
    if (signal?.aborted) throw interrupted();
    const r = await startLabRegistry(version, storage, options, plan.schema1Compatibility);
    if (signal?.aborted) {
      await r.stop();
      throw interrupted();
    }
    live.add(r);
    return r;
  };
  const stop = async (r: LabRegistry | undefined): Promise<void> => {
    if (!r) return;
    live.delete(r);
    await r.stop();
  };
  let storage: CellStorage;
  try {
    storage = await createCellStorage(storageDriver, version, {
      ...(options.s3Server ? { s3Server: options.s3Server } : {}),
    });
  } catch (error) {
    const e = error as Error;
    return {
      ...cell,
      status: "fail",
      durationMs: Date.now() - started,
      error: `could not make the cell's ${storageDriver} storage: ${e.stack ?? e.message}`,
      log,
    };
  }
  log.push(`storage: ${storageDriver} at ${storage.location}`);
  let registry: LabRegistry | undefined;
  const current = (): LabRegistry => {
    if (!registry) throw new Error("the registry is stopped");
    return registry;
  };
  const ctx: ScenarioContext = {
    version: entry,
    fixtureMode,
    kinds: plan.kinds,
    get host() {
      return current().host;
    },
    get url() {
      return current().url;
    },
    storage,
    ...(signal ? { signal } : {}),
    pushFixture: async (context, name) => {
      const pushed = await fixtures.push(current().host, context, name, plan.kinds);
      log.push(`pushed ${context} as ${pushed.name} (${pushed.digest})`);
      return pushed;
    },
    restart: async () => {
      await stop(registry);
      registry = undefined;
      registry = await start();
    },
    regsweepArgv: (args, options) => regsweepArgv(storage.cliArgs, args, options),
    offline: async (fn) => {
      await stop(registry);
      registry = undefined;
      // A bucket's listing may give ages in whole seconds (Swift does), so a key written a moment ago can
      // look younger than "now" and `--grace 0` rightly keeps it: with the registry stopped, let every write
      // be older than that second before the offline run looks.
      if (storage.driver === "s3") await new Promise((r) => setTimeout(r, S3_LISTING_SECOND_MS));
      try {
        return await fn();
      } finally {
        registry = await start();
      }
    },
    regsweep: async (args, options) => {
      const full = regsweepArgv(storage.cliArgs, args, options);
      const result = await ctx.offline(() => runRegsweep(full, signal));
      log.push(`$ regsweep ${full.join(" ")}  → exit ${result.code}`);
      logOutput(result);
      return result;
    },
    regsweepOnline: async (args, options) => {
      const full = registryArgv(current().url, args, options);
      const result = await runRegsweep(full, signal);
      log.push(`$ regsweep ${full.join(" ")}  → exit ${result.code}`);
      logOutput(result);
      return result;
    },
    upstreamGarbageCollect: async (flags) => {
      const result = await ctx.offline(() =>
        runUpstreamGarbageCollect({ version, storage, source: options, flags }),
      );
      log.push(`$ registry garbage-collect ${flags.join(" ")} <config>  → exit ${result.code}`);
      logOutput(result);
      return result;
    },
    log: (line) => {
      log.push(line);
    },
  };
  function logOutput(result: RegsweepResult): void {
    if (result.stdout.trim()) log.push(result.stdout.trimEnd());
    if (result.stderr.trim()) log.push(`stderr: ${result.stderr.trimEnd()}`);
  }
  // Settles (rejects) when the signal aborts, so the cell ends without waiting for the scenario.
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(interrupted());
    signal?.addEventListener("abort", onAbort, { once: true });
  });
  aborted.catch(() => {});
  try {
    registry = await start();
    await Promise.race([scenario.run(ctx), aborted]);
    return { ...cell, status: "pass", durationMs: Date.now() - started, log };
  } catch (error) {
    if (signal?.aborted) throw interrupted();
    const e = error as Error;
    // fetch and child-process errors keep the useful part in `cause`.
    const cause = e.cause instanceof Error ? `\ncause: ${e.cause.stack ?? e.cause.message}` : "";
    return {
      ...cell,
      status: "fail",
      durationMs: Date.now() - started,
      error: `${e.stack ?? e.message}${cause}`,
      log,
    };
  } finally {
    if (onAbort) signal?.removeEventListener("abort", onAbort);
    registry = undefined;
    await Promise.all([...live].map((r) => stop(r)));
    await fixtures.untagPushed();
    await storage.dispose();
  }
}
