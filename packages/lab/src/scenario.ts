import type { ManifestKind, RegistryVersion } from "@regsweep/testbed";
import type { CellStorage, StorageDriver } from "./cell-storage.js";
import type { FixtureMode } from "./fixture-mode.js";
import type { PushedImage } from "./fixture-set.js";

/** What `regsweep` printed and how it exited. */
export interface RegsweepResult {
  code: number;
  stdout: string;
  stderr: string;
  /** The signal that ended the process, when one did (a kill -9 a test hook sent). */
  signal?: NodeJS.Signals;
}

/** How the runner invokes an applying command (`delete`, `gc`, `apply`, `retain`). */
export interface RegsweepRunOptions {
  /** `--grace` (default `0`: the registry is stopped, nothing is in flight). */
  grace?: string;
}

/** What a scenario gets: a running registry of one version, fixtures to push, and the CLI. */
export interface ScenarioContext {
  readonly version: RegistryVersion;
  /** The run's fixture mode. */
  readonly fixtureMode: FixtureMode;
  /** The manifest kinds this cell may push (the version's, narrowed by the fixture mode): pick the closest. */
  readonly kinds: readonly ManifestKind[];
  /** `127.0.0.1:PORT` of the running registry (changes on `restart()`). */
  readonly host: string;
  /** `http://127.0.0.1:PORT` of the running registry. */
  readonly url: string;
  /**
   * The registry's storage (a folder, or a prefix in a bucket on a real S3 server), stays across restarts:
   * `storage.store` is the cleaner's store over it, which the assertions on the tree read (`storage-tree.ts`).
   */
  readonly storage: CellStorage;
  /** Pushes fixture `context` (a–e) as its own `image:tag`, or as `name` (`repository[:tag]`). */
  pushFixture(context: string, name?: string): Promise<PushedImage>;
  /** Stops the registry, keeps the storage tree, starts it again (the seed's `bounce_registry`). */
  restart(): Promise<void>;
  /**
   * Runs the built CLI as users do: `node packages/cli/dist/main.js <args> --storage <root> --yes --grace 0`
   * (on s3: `--config <the registry's config.yml>` instead of `--storage`),
   * with the registry stopped for the run (offline, like the seed's `run_delete`) and started again after.
   */
  regsweep(args: readonly string[], options?: RegsweepRunOptions): Promise<RegsweepResult>;
  /**
   * Runs the built CLI online against the RUNNING registry: `<args> --registry <url>`, plus `--yes --grace`
   * for applying commands (the registry serves and deletes through its HTTP API; delete is enabled).
   */
  regsweepOnline(args: readonly string[], options?: RegsweepRunOptions): Promise<RegsweepResult>;
  /** The full argument list `regsweep(args, options)` runs (storage flags and, when applying, `--yes --grace`). */
  regsweepArgv(args: readonly string[], options?: RegsweepRunOptions): string[];
  /** Runs `fn` with the registry stopped and starts it again afterwards (also when `fn` throws). */
  offline<T>(fn: () => Promise<T>): Promise<T>;
  /**
   * Runs the version's own `registry garbage-collect <flags> <config>` on the storage (folder or bucket), with the
   * registry stopped for the run and started again after.
   */
  upstreamGarbageCollect(flags: readonly string[]): Promise<RegsweepResult>;
  /** Aborts when the run is interrupted (Ctrl-C): pass it to anything the scenario spawns itself. */
  readonly signal?: AbortSignal;
  /** Appends a line to the cell's log (shown when the cell fails). */
  log(line: string): void;
}

/** One case ported from the seed suite: runs against a fresh registry and throws on failure. */
export interface Scenario {
  /** Kebab-case, named after the seed function (`deleting-untagged`). */
  name: string;
  description: string;
  /**
   * Manifest kinds the cell must be able to push (see `cellKinds`) for the scenario to apply; list only what
   * has no close substitute (a scenario that can use a manifest list instead of an OCI index picks in `run`).
   */
  requires?: readonly ManifestKind[];
  /** Start the scenario's registries with `compatibility.schema1.enabled` (2.7+ refuse schema1 PUTs without). */
  schema1Compatibility?: boolean;
  /**
   * Why the scenario does not apply to a version (the thing under test does not exist there), read from the
   * version's data and the cell's kinds (undefined: it applies).
   */
  skipReason?(version: RegistryVersion, kinds: readonly ManifestKind[]): string | undefined;
  /**
   * Why the scenario cannot run on a storage driver (what it sets up or observes has no counterpart
   * there, e.g. an object's age cannot be set in a bucket); undefined: it runs on every driver.
   */
  storageSkipReason?(driver: StorageDriver): string | undefined;
  run(ctx: ScenarioContext): Promise<void>;
}

/** Throws unless the CLI exited with `code`; the message carries its output. */
export function expectExit(result: RegsweepResult, code: number, what: string): void {
  if (result.code !== code) {
    throw new Error(
      `${what}: exit ${result.code}, expected ${code}\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`,
    );
  }
}

/** Throws with `message` unless `condition`. */
export function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(message);
}
