import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findRegistryVersion, freePort, registryBinary, registryConfigYaml } from "@regsweep/testbed";
import { LabError } from "./lab-errors.js";

/** The config block that lets 2.7+ take signed schema1 PUTs (older versions ignore the unknown key). */
export const SCHEMA1_COMPATIBILITY_YAML = "compatibility:\n  schema1:\n    enabled: true\n";

/** The same switch as an environment override, for registries in containers. */
export const SCHEMA1_COMPATIBILITY_ENV = { REGISTRY_COMPATIBILITY_SCHEMA1_ENABLED: "true" } as const;

/** A registry process the lab started itself; `stop()` ends it and removes its config (not the tree). */
export interface Schema1RegistryProcess {
  host: string;
  url: string;
  stop(): Promise<void>;
}

/**
 * Starts the cached binary of `version` on `storageRoot` with `compatibility.schema1.enabled`: 2.7+ answer
 * a schema1 PUT with "manifest schema v1 unsupported" otherwise, and the testbed's process starter writes
 * a fixed config. Ready when `GET /v2/` answers.
 */
export async function startSchema1RegistryProcess(
  version: string,
  storageRoot: string,
): Promise<Schema1RegistryProcess> {
  const entry = findRegistryVersion(version);
  const binary = registryBinary(entry.version);
  if (!binary) {
    throw new LabError(
      "lab.registry.binary-missing",
      `registry ${entry.version} is not in .cache/registries: run scripts/setup.sh`,
    );
  }
  const dir = await mkdtemp(join(tmpdir(), `regsweep-lab-schema1-${entry.version}-`));
  const port = await freePort();
  const config = join(dir, "config.yml");
  await writeFile(
    config,
    `${registryConfigYaml({ port, storageRoot, deleteEnabled: true })}${SCHEMA1_COMPATIBILITY_YAML}`,
  );
  let output = "";
  const child = spawn(binary, entry.cliForm === "serve" ? ["serve", config] : [config], {
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...entry.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout.on("data", (d: Buffer) => {
    output += d.toString();
  });
  child.stderr.on("data", (d: Buffer) => {
    output += d.toString();
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
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
    if (child.exitCode !== null) break;
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
  throw new LabError(
    "lab.registry.not-ready",
    `registry ${entry.version} did not answer on ${url}:\n${output}`,
  );
}
