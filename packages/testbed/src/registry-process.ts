import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./free-port.js";
import { registryBinary } from "./registry-binary.js";
import { type RegistryConfigOptions, registryConfigYaml } from "./registry-config.js";
import { findRegistryVersion, type RegistryVersion } from "./registry-versions.js";

// Registries a test forgot to stop must not outlive it (they would keep ports and temp dirs).
const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

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
}

/**
 * Starts a real `distribution` registry binary of a cached version on a free 127.0.0.1 port and waits
 * until it accepts connections and `/v2/` answers.
 */
export async function startRegistryProcess(options: RegistryProcessOptions): Promise<StartedRegistry> {
  const version = findRegistryVersion(options.version);
  const binary = registryBinary(version.version);
  if (!binary) {
    throw new Error(`registry ${version.version} is not in .cache/registries: run scripts/setup.sh`);
  }
  const ownsStorage = options.storageRoot === undefined;
  const workDir = await mkdtemp(join(tmpdir(), `regsweep-registry-${version.version}-`));
  const storageRoot =
    options.storageRoot ?? (await mkdtemp(join(tmpdir(), `regsweep-storage-${version.version}-`)));

  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const configPath = join(workDir, "config.yml");
    await writeFile(
      configPath,
      registryConfigYaml({ ...options, port, storageRoot, deleteEnabled: options.deleteEnabled ?? true }),
    );
    const args = version.cliForm === "serve" ? ["serve", configPath] : [configPath];
    const child = spawn(binary, args, {
      // A clean environment: among other things no AWS_CA_BUNDLE, which makes the s3 driver panic at start.
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...version.env, ...options.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    running.add(child);
    child.once("exit", () => running.delete(child));
    let output = "";
    child.stdout?.on("data", (d: Buffer) => {
      output += d.toString();
    });
    child.stderr?.on("data", (d: Buffer) => {
      output += d.toString();
    });
    const scheme = options.tls ? "https" : "http";
    try {
      await waitUntilListening(child, port, () => output);
    } catch (error) {
      await terminate(child);
      if (attempt < 3 && /address already in use/.test(output)) continue;
      await rm(workDir, { recursive: true, force: true });
      throw error;
    }
    const started: StartedRegistry = {
      version,
      port,
      host: `127.0.0.1:${port}`,
      url: `${scheme}://127.0.0.1:${port}`,
      storageRoot,
      configPath,
      pid: child.pid as number,
      log: () => output,
      async stop(opts) {
        await terminate(child);
        await rm(workDir, { recursive: true, force: true });
        if (opts?.removeStorage) await rm(storageRoot, { recursive: true, force: true });
      },
      async [Symbol.asyncDispose]() {
        await started.stop({ removeStorage: ownsStorage });
      },
    };
    return started;
  }
}

async function waitUntilListening(child: ChildProcess, port: number, log: () => string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`registry exited (${child.exitCode ?? child.signalCode}) before listening:\n${log()}`);
    }
    if (await canConnect(port)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`registry did not listen on 127.0.0.1:${port} within 15 s:\n${log()}`);
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

async function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
  await exited;
  clearTimeout(timer);
}
