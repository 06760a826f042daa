import { spawn } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  findRegistryVersion,
  freePort,
  type RegistryS3Storage,
  registryBinary,
  registryConfigYaml,
  trackProcess,
} from "@regsweep/testbed";
import { LabError } from "./lab-errors.js";

/** A registry process the lab started itself; `stop()` ends it and removes its config (not the tree). */
export interface LabRegistryProcess {
  host: string;
  url: string;
  stop(): Promise<void>;
}

/** How to start a lab registry process: which behaviour row, which binary, what extra config. */
export interface LabRegistryProcessOptions {
  /** The testbed version-table row the binary behaves as (its CLI form and environment). */
  version: string;
  storageRoot: string;
  /** Store in a bucket instead (the registry's `storage.s3` section). */
  s3?: RegistryS3Storage;
  /** A registry binary a maintainer points at (default: the cached binary of `version`). */
  binary?: string;
  /** YAML appended to the generated config (e.g. the schema1 compatibility block). */
  extraConfigYaml?: string;
}

/** Throws `lab.registry.binary-missing` unless `path` is an executable file. */
export function assertExecutable(path: string): void {
  try {
    accessSync(path, constants.X_OK);
  } catch (error) {
    throw new LabError("lab.registry.binary-missing", `${path} is not an executable registry binary`, {
      cause: error,
    });
  }
}

/**
 * Starts a registry binary on `storageRoot` and a free 127.0.0.1 port with a config the lab writes (the
 * testbed's process starter takes neither a binary path nor extra config). Ready when `GET /v2/` answers.
 */
export async function startLabRegistryProcess(
  options: LabRegistryProcessOptions,
): Promise<LabRegistryProcess> {
  const entry = findRegistryVersion(options.version);
  const binary = options.binary ?? registryBinary(entry.version);
  if (!binary) {
    throw new LabError(
      "lab.registry.binary-missing",
      `registry ${entry.version} is not in .cache/registries: run scripts/setup.sh`,
    );
  }
  assertExecutable(binary);
  const dir = await mkdtemp(join(tmpdir(), `regsweep-lab-registry-${entry.version}-`));
  const port = await freePort();
  const config = join(dir, "config.yml");
  await writeFile(
    config,
    `${registryConfigYaml({ port, storageRoot: options.storageRoot, ...(options.s3 ? { s3: options.s3 } : {}), deleteEnabled: true })}${options.extraConfigYaml ?? ""}`,
  );
  let output = "";
  const child = trackProcess(
    spawn(binary, entry.cliForm === "serve" ? ["serve", config] : [config], {
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...entry.env },
      stdio: ["ignore", "pipe", "pipe"],
    }),
    { kind: "registry" },
  );
  child.stdout.on("data", (d: Buffer) => {
    output += d.toString();
  });
  child.stderr.on("data", (d: Buffer) => {
    output += d.toString();
  });
  // A binary that cannot start (wrong architecture, not a registry) must fail the start, not crash the lab.
  child.once("error", (error) => {
    output += `\nspawn failed: ${error.message}`;
  });
  const exited = new Promise<void>((resolve) => child.once("close", () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(timer);
    }
    await rm(dir, { recursive: true, force: true });
  };
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.pid === undefined) break;
    if (
      await fetch(`${url}/v2/`).then(
        (r) => r.ok,
        () => false,
      )
    ) {
      return { host: `127.0.0.1:${port}`, url, stop };
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  await stop();
  throw new LabError("lab.registry.not-ready", `registry ${binary} did not answer on ${url}:\n${output}`);
}
