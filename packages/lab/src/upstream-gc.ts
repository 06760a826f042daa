import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findRegistryVersion, registryBinary, registryConfigYaml, trackContainer } from "@regsweep/testbed";
import type { CellStorage } from "./cell-storage.js";
import { dockerClient } from "./docker-client.js";
import { LabError } from "./lab-errors.js";
import type { RegsweepResult } from "./scenario.js";
import type { RegistrySource } from "./scenario-runner.js";

/** What the registry's own `garbage-collect` printed and how it exited. */
export type UpstreamGcResult = RegsweepResult;

/** The registry version cannot garbage-collect at all (2.2, 2.3: no such command). */
export class UpstreamGcUnavailableError extends LabError {
  constructor(version: string) {
    super("lab.upstream-gc.unavailable", `registry ${version} has no garbage-collect command`);
  }
}

// Inside a container: the config we write and the bind-mounted storage tree (as in registry-container.ts).
const CONTAINER_CONFIG_DIR = "/etc/regsweep";
const CONTAINER_STORAGE = "/var/lib/registry";

/**
 * Runs `registry garbage-collect <flags> <config>` of `version` on a cell's storage (its folder, or its
 * bucket through the version's own s3 driver), as an operator does:
 * with the registry stopped (the caller's job; upstream GC takes no lock). The cached binary runs as a
 * process; the container runtimes run the same image the registry came from with that command.
 */
export async function runUpstreamGarbageCollect(options: {
  version: string;
  storage: Pick<CellStorage, "root" | "s3">;
  source: RegistrySource;
  flags: readonly string[];
}): Promise<UpstreamGcResult> {
  const entry = findRegistryVersion(options.version);
  if (entry.gc === "none") throw new UpstreamGcUnavailableError(entry.version);
  const workDir = await mkdtemp(join(tmpdir(), `regsweep-upstream-gc-${entry.version}-`));
  try {
    if (options.source.runtime === "process") {
      const binary = options.source.binary ?? registryBinary(entry.version);
      if (!binary) {
        throw new LabError(
          "lab.registry.binary-missing",
          `registry ${entry.version} is not in .cache/registries: run scripts/setup.sh`,
        );
      }
      const config = join(workDir, "config.yml");
      // The port is never opened: garbage-collect only reads the storage section.
      await writeFile(
        config,
        registryConfigYaml({
          port: 5000,
          storageRoot: options.storage.root,
          ...(options.storage.s3 ? { s3: options.storage.s3 } : {}),
          deleteEnabled: true,
        }),
      );
      return await runProcess(binary, ["garbage-collect", ...options.flags, config], entry.env);
    }
    if (options.storage.s3)
      throw new LabError(
        "lab.usage",
        "upstream garbage-collect on the s3 driver runs the registry as a process",
      );
    const { localRegistryImage } = await import("./registry-container.js");
    const image =
      options.source.image ??
      (options.source.runtime === "official" ? entry.officialImage : localRegistryImage(entry.version));
    await writeFile(
      join(workDir, "config.yml"),
      registryConfigYaml({ port: 5000, storageRoot: CONTAINER_STORAGE, deleteEnabled: true }),
    );
    return await runContainer(
      image,
      ["garbage-collect", ...options.flags, `${CONTAINER_CONFIG_DIR}/config.yml`],
      [`${workDir}:${CONTAINER_CONFIG_DIR}:ro`, `${options.storage.root}:${CONTAINER_STORAGE}:rw`],
      entry.env,
    );
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

function runProcess(
  binary: string,
  args: string[],
  env: Readonly<Record<string, string>>,
): Promise<UpstreamGcResult> {
  return new Promise((resolve) => {
    execFile(
      binary,
      args,
      { env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env }, maxBuffer: 64 << 20 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

async function runContainer(
  image: string,
  cmd: string[],
  binds: string[],
  env: Readonly<Record<string, string>>,
): Promise<UpstreamGcResult> {
  const docker = dockerClient();
  const uid = process.getuid?.();
  const gid = process.getgid?.();
  const container = await docker.createContainer({
    Image: image,
    Cmd: cmd,
    Env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
    ...(uid !== undefined && gid !== undefined ? { User: `${uid}:${gid}` } : {}),
    Labels: { "org.regsweep.lab": "upstream-gc" },
    HostConfig: { Binds: binds, NetworkMode: "none" },
  });
  trackContainer(container.id, { kind: "upstream-gc" });
  try {
    await container.start();
    const { StatusCode } = (await container.wait()) as { StatusCode: number };
    const logs = await container.logs({ stdout: true, stderr: true, follow: false });
    // Without a TTY the log is multiplexed: 8-byte frame headers; strip them to plain text.
    return { code: StatusCode, stdout: demultiplex(logs), stderr: "" };
  } finally {
    await container.remove({ force: true });
  }
}

function demultiplex(raw: Buffer): string {
  let out = "";
  let at = 0;
  while (at + 8 <= raw.length) {
    const size = raw.readUInt32BE(at + 4);
    out += raw.subarray(at + 8, at + 8 + size).toString();
    at += 8 + size;
  }
  return out;
}
