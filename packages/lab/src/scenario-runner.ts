import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findRegistryVersion, type RegistryVersion, startRegistryProcess } from "@regsweep/testbed";
import { pinNodeFetchDispatcher } from "./fetch-dispatcher.js";
import type { FixtureSet } from "./fixture-set.js";
import { runRegsweep } from "./regsweep-cli.js";
import type { RegsweepResult, RegsweepRunOptions, Scenario, ScenarioContext } from "./scenario.js";
import { SCHEMA1_COMPATIBILITY_ENV, startSchema1RegistryProcess } from "./schema1-registry-process.js";
import { runUpstreamGarbageCollect } from "./upstream-gc.js";

/**
 * How registries run: cached binaries as processes, the local `regsweep/registry` images in containers, or
 * the official `registry:<version>` images (machines that reach Docker Hub, e.g. the Vagrant VM).
 */
export type RegistryRuntime = "process" | "container" | "official";

/** A registry on a given storage tree, however it runs. */
interface LabRegistry {
  host: string;
  url: string;
  stop(): Promise<unknown>;
}

async function startLabRegistry(
  version: string,
  storageRoot: string,
  runtime: RegistryRuntime,
  schema1Compatibility = false,
): Promise<LabRegistry> {
  if (runtime === "process") {
    return schema1Compatibility
      ? startSchema1RegistryProcess(version, storageRoot)
      : startRegistryProcess({ version, storageRoot });
  }
  // Loaded only when needed: testcontainers is heavy and needs a Docker engine.
  await pinNodeFetchDispatcher();
  const { RegistryContainer } = await import("./registry-container.js");
  const container =
    runtime === "official" ? RegistryContainer.official(version) : new RegistryContainer(version);
  if (schema1Compatibility) container.withEnvironment(SCHEMA1_COMPATIBILITY_ENV);
  return container.withStorageRoot(storageRoot).start();
}

/** Outcome of one version × scenario cell. */
export type CellStatus = "pass" | "fail" | "skip";

/** One cell's result: status, time, and the log (the failure and what the scenario logged). */
export interface CellResult {
  version: string;
  scenario: string;
  status: CellStatus;
  durationMs: number;
  error?: string;
  log: string[];
}

// Commands that change the tree get the flags a user runs offline with: no prompt, nothing in flight.
const APPLYING_COMMANDS = new Set(["delete", "gc", "apply", "retain"]);

/**
 * The arguments the lab gives regsweep: the storage root, and for commands that change the tree the flags
 * a user runs offline with (no prompt; `--grace 0` unless the scenario asks for another).
 */
export function regsweepArgv(
  storageRoot: string,
  args: readonly string[],
  options: RegsweepRunOptions = {},
): string[] {
  const [command] = args;
  return command && APPLYING_COMMANDS.has(command)
    ? [...args, "--storage", storageRoot, "--yes", "--grace", options.grace ?? "0"]
    : [...args, "--storage", storageRoot];
}

/**
 * Runs one scenario on a fresh registry of `version` with its own temp storage tree, stopped and
 * removed afterwards whatever happens. Never throws: failures become a `fail` cell.
 */
export async function runScenarioCell(
  scenario: Scenario,
  version: string,
  fixtures: FixtureSet,
  runtime: RegistryRuntime = "process",
): Promise<CellResult> {
  const started = Date.now();
  const entry: RegistryVersion = findRegistryVersion(version);
  const log: string[] = [];
  const missing = (scenario.requires ?? []).filter((kind) => !entry.accepts.includes(kind));
  const skipReason =
    missing.length > 0
      ? `registry ${version} does not accept ${missing.join(", ")}`
      : scenario.skipReason?.(entry);
  if (skipReason !== undefined) {
    return { version, scenario: scenario.name, status: "skip", durationMs: 0, error: skipReason, log };
  }
  const storageRoot = await mkdtemp(join(tmpdir(), `regsweep-lab-${version}-`));
  let registry: LabRegistry | undefined = await startLabRegistry(
    version,
    storageRoot,
    runtime,
    scenario.schema1Compatibility,
  );
  const current = (): LabRegistry => {
    if (!registry) throw new Error("the registry is stopped");
    return registry;
  };
  const ctx: ScenarioContext = {
    version: entry,
    get host() {
      return current().host;
    },
    get url() {
      return current().url;
    },
    storageRoot,
    pushFixture: async (context, name) => {
      const pushed = await fixtures.push(current().host, context, name);
      log.push(`pushed ${context} as ${pushed.name} (${pushed.digest})`);
      return pushed;
    },
    restart: async () => {
      await registry?.stop();
      registry = undefined;
      registry = await startLabRegistry(version, storageRoot, runtime, scenario.schema1Compatibility);
    },
    regsweepArgv: (args, options) => regsweepArgv(storageRoot, args, options),
    offline: async (fn) => {
      await registry?.stop();
      registry = undefined;
      try {
        return await fn();
      } finally {
        registry = await startLabRegistry(version, storageRoot, runtime, scenario.schema1Compatibility);
      }
    },
    regsweep: async (args, options) => {
      const full = regsweepArgv(storageRoot, args, options);
      const result = await ctx.offline(() => runRegsweep(full));
      log.push(`$ regsweep ${full.join(" ")}  → exit ${result.code}`);
      logOutput(result);
      return result;
    },
    upstreamGarbageCollect: async (flags) => {
      const result = await ctx.offline(() =>
        runUpstreamGarbageCollect({ version, storageRoot, runtime, flags }),
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
  try {
    await scenario.run(ctx);
    return { version, scenario: scenario.name, status: "pass", durationMs: Date.now() - started, log };
  } catch (error) {
    const e = error as Error;
    // fetch and child-process errors keep the useful part in `cause`.
    const cause = e.cause instanceof Error ? `\ncause: ${e.cause.stack ?? e.cause.message}` : "";
    return {
      version,
      scenario: scenario.name,
      status: "fail",
      durationMs: Date.now() - started,
      error: `${e.stack ?? e.message}${cause}`,
      log,
    };
  } finally {
    await registry?.stop();
    await fixtures.untagPushed();
    await rm(storageRoot, { recursive: true, force: true });
  }
}
