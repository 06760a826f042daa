import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import {
  defaultTestVersion,
  image,
  layer,
  pushManifest,
  repoRoot,
  startRegistryProcess,
  tags,
} from "@regsweep/testbed";
import { afterAll, expect, it } from "vitest";

const run = promisify(execFile);
const TAG = `regsweep:lab-${process.pid}`;

/** The Docker engine setup.sh started (or the one DOCKER_HOST names). */
function dockerEnv(): NodeJS.ProcessEnv {
  if (process.env.DOCKER_HOST) return process.env;
  const envFile = join(repoRoot(), ".cache/env.sh");
  if (!existsSync(envFile)) throw new Error("no Docker engine configured: run scripts/setup.sh");
  const host = /DOCKER_HOST=(\S+)/.exec(readFileSync(envFile, "utf8"))?.[1];
  return { ...process.env, ...(host ? { DOCKER_HOST: host } : {}) };
}

afterAll(async () => {
  await run("docker", ["rmi", "-f", TAG], { env: dockerEnv() }).catch(() => undefined);
});

it("the regsweep container image runs next to a registry's storage, mounted, and deletes a tag", async () => {
  await run("bash", [join(repoRoot(), "scripts/build-cli-image.sh"), TAG], {
    env: dockerEnv(),
    maxBuffer: 16 << 20,
  });
  await using registry = await startRegistryProcess({ version: defaultTestVersion() });
  await pushManifest(registry, "app", image({ layers: [layer("x")] }), "old");
  await pushManifest(registry, "app", image({ layers: [layer("y")] }), "new");
  await registry.stop();
  const mount = `${registry.storageRoot}:/var/lib/registry`;
  const { stdout } = await run(
    "docker",
    [
      "run",
      "--rm",
      "--network",
      "none",
      "-v",
      mount,
      TAG,
      "delete",
      "--storage",
      "/var/lib/registry",
      "app:old",
      "--yes",
      "--grace",
      "0",
    ],
    { env: { ...dockerEnv(), NO_COLOR: "1" } },
  );
  expect(stdout).toMatch(/done: \d+ actions/);
  await registry.restart();
  expect(await tags(registry.url, "app")).toEqual(["new"]);
});
