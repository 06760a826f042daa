import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./free-port.js";
import { terminate, waitUntilListening } from "./listening-process.js";
import { trackProcess } from "./process-ledger.js";
import { registryBinary } from "./registry-binary.js";
import { type RegistryConfigOptions, registryConfigYaml } from "./registry-config.js";
import { findRegistryVersion, type RegistryVersion } from "./registry-versions.js";

/** How to start a registry process; everything but the version has a test-friendly default. */
export interface RegistryProcessOptions extends Partial<Omit<RegistryConfigOptions, "port" | "storageRoot">> {
  version: string;
  /** Reuse a storage tree (e.g. to restart a registry on what a cleaner left); default: a fresh temp dir. */
  storageRoot?: string;
  /** Configuration overrides as the registry reads them (e.g. REGISTRY_COMPATIBILITY_SCHEMA1_ENABLED). */
  env?: Readonly<Record<string, string>>;
}

/** A running registry process on 127.0.0.1, disposed with `await using` or `stop()`. */
export interface StartedRegistry extends AsyncDisposable {
  readonly version: RegistryVersion;
  readonly port: number;
  /** `127.0.0.1:PORT`, as used in image references. */
  readonly host: string;
  readonly url: string;
  /** The filesystem driver's root directory (holds `docker/registry/v2`). */
  readonly storageRoot: string;
  /** The config.yml it was started with (gone after `stop()`). */
  readonly configPath: string;
  /** The process id (benchmarks read its CPU time from /proc). */
  readonly pid: number;
  /** What the process printed so far (stderr and stdout), for failure messages. */
  log(): string;
  /** Stops the process (idempotent); the storage tree stays unless `removeStorage`. */
  stop(opts?: { removeStorage?: boolean }): Promise<void>;
  /**
   * Stops the process and starts a new one on the same storage tree, in this same handle (so whoever
   * stops or disposes the handle stops the new process too), with `changes` to the options. The port is
   * kept when it is still free; read `port`/`url` again after. Returns this handle.
   */
  restart(changes?: Omit<Partial<RegistryProcessOptions>, "storageRoot">): Promise<StartedRegistry>;
}

/**
 * Starts a real `distribution` registry binary of a cached version on a free 127.0.0.1 port and waits
 * until it accepts connections and `/v2/` answers.
 */
export async function startRegistryProcess(options: RegistryProcessOptions): Promise<StartedRegistry> {
  const version = findRegistryVersion(options.version);
  const ownsStorage = options.storageRoot === undefined;
  const storageRoot =
    options.storageRoot ?? (await mkdtemp(join(tmpdir(), `regsweep-storage-${version.version}-`)));
  let settings: RegistryProcessOptions = { ...options, storageRoot };
  let current = await launch(settings).catch(async (error) => {
    if (ownsStorage) await rm(storageRoot, { recursive: true, force: true });
    throw error;
  });
  const handle: StartedRegistry = {
    get version() {
      return current.version;
    },
    get port() {
      return current.port;
    },
    get host() {
      return `127.0.0.1:${current.port}`;
    },
    get url() {
      return `${current.scheme}://127.0.0.1:${current.port}`;
    },
    storageRoot,
    get configPath() {
      return current.configPath;
    },
    get pid() {
      return current.pid;
    },
    log: () => current.output(),
    async stop(opts) {
      await current.stop();
      if (opts?.removeStorage) await rm(storageRoot, { recursive: true, force: true });
    },
    async restart(changes = {}) {
      await current.stop();
      settings = { ...settings, ...changes, storageRoot };
      current = await launch(settings, current.port);
      return handle;
    },
    async [Symbol.asyncDispose]() {
      await handle.stop({ removeStorage: ownsStorage });
    },
  };
  return handle;
}

/** One registry process of a handle's life: its port, output, and how to stop it. */
interface Launched {
  version: RegistryVersion;
  port: number;
  scheme: "http" | "https";
  configPath: string;
  pid: number;
  output(): string;
  /** Ends the process and removes its config folder (idempotent). */
  stop(): Promise<void>;
}

async function launch(options: RegistryProcessOptions, preferredPort?: number): Promise<Launched> {
  const version = findRegistryVersion(options.version);
  const binary = registryBinary(version.version);
  if (!binary) {
    throw new Error(`registry ${version.version} is not in .cache/registries: run scripts/setup.sh`);
  }
  const storageRoot = options.storageRoot as string;
  const workDir = await mkdtemp(join(tmpdir(), `regsweep-registry-${version.version}-`));
  for (let attempt = 1; ; attempt++) {
    const port = await freePort(attempt === 1 ? preferredPort : undefined);
    const configPath = join(workDir, "config.yml");
    await writeFile(
      configPath,
      registryConfigYaml({ ...options, port, storageRoot, deleteEnabled: options.deleteEnabled ?? true }),
    );
    const args = version.cliForm === "serve" ? ["serve", configPath] : [configPath];
    // Recorded so that a registry a test forgot to stop is stopped (and named) by the run's teardown.
    const child = trackProcess(
      spawn(binary, args, {
        // A clean environment: among other things no AWS_CA_BUNDLE, which makes the s3 driver panic at start.
        env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...version.env, ...options.env },
        stdio: ["ignore", "pipe", "pipe"],
      }),
      { kind: "registry" },
    );
    let output = "";
    child.stdout?.on("data", (d: Buffer) => {
      output += d.toString();
    });
    child.stderr?.on("data", (d: Buffer) => {
      output += d.toString();
    });
    try {
      await waitUntilListening(child, port, { what: "registry", timeoutMs: 15_000, log: () => output });
    } catch (error) {
      await terminate(child);
      if (attempt < 3 && /address already in use/.test(output)) continue;
      await rm(workDir, { recursive: true, force: true });
      throw error;
    }
    return {
      version,
      port,
      scheme: options.tls ? "https" : "http",
      configPath,
      pid: child.pid as number,
      output: () => output,
      async stop() {
        await terminate(child);
        await rm(workDir, { recursive: true, force: true });
      },
    };
  }
}
