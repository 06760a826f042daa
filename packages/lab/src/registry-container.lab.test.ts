import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { availableRegistryVersions, freePort, skopeoCopy } from "@regsweep/testbed";
import type Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { connectDocker } from "./docker-client.js";
import {
  buildAndPushFixture,
  buildImage,
  type Fixture,
  findFixture,
  pushImage,
  readFixtures,
  removeImages,
} from "./fixture-images.js";
import { DockerStreamError } from "./lab-errors.js";
import { RegistryContainer } from "./registry-container.js";

// Every registry version setup.sh could fetch; an unprepared machine fails below instead of skipping.
const versions = availableRegistryVersions();
let docker: Docker;
let fixtures: Fixture[];
const images: string[] = [];
const tempDirs: string[] = [];

const sha256 = (data: Buffer) => `sha256:${createHash("sha256").update(data).digest("hex")}`;

async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

beforeAll(async () => {
  docker = await connectDocker();
  fixtures = await readFixtures();
});

afterAll(async () => {
  if (docker) await removeImages(docker, images);
  for (const dir of tempDirs) await rm(dir, { recursive: true, force: true });
});

test("scripts/setup.sh cached at least one registry version", () => {
  expect(versions, "no registry binary in .cache/registries: run scripts/setup.sh").not.toHaveLength(0);
});

describe.each(versions)("registry %s in a container", (version) => {
  test("a pushed fixture pulls back with skopeo, every blob digest-checked", async () => {
    const registry = await new RegistryContainer(version).start();
    try {
      const pushed = await buildAndPushFixture(docker, findFixture(fixtures, "a"), registry.host);
      images.push(pushed.reference);

      const out = await tempDir("regsweep-lab-pull-");
      await skopeoCopy(`docker://${registry.host}/test/a:latest`, `dir:${out}`);

      const manifestBytes = await readFile(join(out, "manifest.json"));
      expect(sha256(manifestBytes)).toBe(pushed.digest);
      const manifest = JSON.parse(manifestBytes.toString()) as {
        config: { digest: string };
        layers: { digest: string }[];
      };
      // busybox's rootfs plus the fixture's RUN layer.
      expect(manifest.layers).toHaveLength(2);
      // skopeo's dir: transport names each blob by the hex part of its digest.
      for (const { digest } of [manifest.config, ...manifest.layers]) {
        const blob = join(out, digest.replace(/^sha256:/, ""));
        expect(existsSync(blob), `blob ${digest}`).toBe(true);
        expect(sha256(await readFile(blob))).toBe(digest);
      }
      const top = manifest.layers.at(-1)?.digest.replace(/^sha256:/, "") ?? "";
      expect(gunzipSync(await readFile(join(out, top))).toString("latin1")).toContain("test/a");

      // The registry wrote to the bind-mounted tree on the host.
      const revision = join(
        registry.storageRoot,
        "docker/registry/v2/repositories/test/a/_manifests/revisions",
        pushed.digest.replace(":", "/"),
        "link",
      );
      expect(await readFile(revision, "utf8")).toBe(pushed.digest);
    } finally {
      await registry.stop();
    }
  });
});

describe("errors inside a 200 OK progress stream", () => {
  test("a failing RUN makes the build throw", async () => {
    const context = await tempDir("regsweep-lab-broken-");
    await writeFile(join(context, "Dockerfile"), "FROM busybox:latest\nRUN false\n");
    const reference = "regsweep-lab/broken:latest";
    images.push(reference);
    const error = await buildImage(docker, { contextDir: context, reference }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DockerStreamError);
    expect((error as DockerStreamError).code).toBe("lab.docker.build-failed");
  });

  test("a push to a port where no registry listens throws", async () => {
    const reference = `127.0.0.1:${await freePort()}/test/nowhere:latest`;
    await docker.getImage("busybox:latest").tag({ repo: reference.replace(/:latest$/, ""), tag: "latest" });
    images.push(reference);
    const error = await pushImage(docker, reference).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DockerStreamError);
    expect((error as DockerStreamError).code).toBe("lab.docker.push-failed");
  });
});
