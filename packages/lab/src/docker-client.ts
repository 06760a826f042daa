import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { cacheDir } from "@regsweep/testbed";
import Docker from "dockerode";
import { DockerUnavailableError } from "./lab-errors.js";

// What scripts/setup.sh exports for the tests. Copied into process.env when the shell did not source
// .cache/env.sh, so testcontainers (which reads process.env) talks to the same engine as dockerode.
const SETUP_VARIABLES = ["DOCKER_HOST", "TESTCONTAINERS_RYUK_DISABLED", "TESTCONTAINERS_HOST_OVERRIDE"];

/** Reads the `export NAME=value` lines of `.cache/env.sh` (written by scripts/setup.sh), if it exists. */
export function readSetupEnvironment(file = join(cacheDir(), "env.sh")): Record<string, string> {
  if (!existsSync(file)) return {};
  const variables: Record<string, string> = {};
  for (const line of readFileSync(file, "utf8").split("\n")) {
    const match = /^export ([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (match?.[1] && match[2] !== undefined) variables[match[1]] = match[2].replace(/^(["'])(.*)\1$/, "$2");
  }
  return variables;
}

/**
 * The Docker engine address the lab uses: `DOCKER_HOST`, else the one in `.cache/env.sh`, else the default
 * socket. Fills in the setup variables missing from process.env as a side effect (see above).
 */
export function dockerHost(): string {
  const fromSetup = readSetupEnvironment();
  for (const name of SETUP_VARIABLES) {
    const value = fromSetup[name];
    if (process.env[name] === undefined && value !== undefined) process.env[name] = value;
  }
  return process.env.DOCKER_HOST ?? "unix:///var/run/docker.sock";
}

/** dockerode options for a `unix://` or `tcp://` address (the forms setup writes and CI uses). */
export function dockerOptions(host: string): Docker.DockerOptions {
  if (host.startsWith("unix://")) return { socketPath: host.slice("unix://".length) };
  const url = new URL(host.replace(/^tcp:/, "http:"));
  return { protocol: "http", host: url.hostname, port: Number(url.port || 2375) };
}

/** A dockerode client for the lab's engine; it does not check that the engine answers (see `connectDocker`). */
export function dockerClient(host = dockerHost()): Docker {
  return new Docker(dockerOptions(host));
}

/** A dockerode client whose engine answered a ping; throws `DockerUnavailableError` otherwise. */
export async function connectDocker(host = dockerHost()): Promise<Docker> {
  const docker = dockerClient(host);
  try {
    await docker.ping();
  } catch (error) {
    throw new DockerUnavailableError(host, error);
  }
  return docker;
}
