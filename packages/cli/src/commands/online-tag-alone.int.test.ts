import { spawn } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isPlaceholderBlob, PLACEHOLDER_CONFIG_BYTES, PLACEHOLDER_MANIFEST_BYTES } from "@regsweep/cleaner";
import {
  availableRegistryVersions,
  expectNotPullable,
  expectPullable,
  findRegistryVersion,
  image,
  index,
  layer,
  pushManifest,
  type StartedRegistry,
  startRegistryProcess,
  tags,
} from "@regsweep/testbed";
import { afterAll, describe, expect, it } from "vitest";
import { REGSWEEP_BIN, runRegsweep } from "../test-support/run-regsweep.js";

/** Versions whose API deletes tags only by digest and untags on it (2.3–2.8): the placeholder method. */
const versions = availableRegistryVersions().filter((v) => {
  const data = findRegistryVersion(v);
  return !data.deleteByTag && data.untagsOnDigestDelete && data.accepts.includes("schema2");
});

it("the test bed has 2.x registries that delete tags only by digest (scripts/setup.sh fetches them)", () => {
  expect(versions.length).toBeGreaterThan(0);
});

const MANIFEST_TYPES = [
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.docker.distribution.manifest.v2+json",
];

/** What every tag of the given repositories names now, by `repo:tag` (HEAD with the whole Accept set). */
async function tagMap(r: StartedRegistry, repositories: string[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const repo of repositories) {
    for (const t of await tags(r.url, repo)) {
      const headers = new Headers();
      for (const m of MANIFEST_TYPES) headers.append("Accept", m);
      const res = await fetch(`${r.url}/v2/${repo}/manifests/${t}`, { method: "HEAD", headers });
      out[`${repo}:${t}`] = res.headers.get("docker-content-digest") ?? `HTTP ${res.status}`;
    }
  }
  return out;
}

/** Blobs in the storage tree that are placeholders (checked by content, as the offline reader does). */
async function placeholderBlobs(storageRoot: string): Promise<string[]> {
  const found: string[] = [];
  const root = join(storageRoot, "docker/registry/v2/blobs/sha256");
  for (const prefix of await readdir(root).catch(() => [])) {
    for (const hex of await readdir(join(root, prefix)).catch(() => [])) {
      const data = join(root, prefix, hex, "data");
      const size = (await stat(data).catch(() => undefined))?.size;
      if (size !== PLACEHOLDER_CONFIG_BYTES && size !== PLACEHOLDER_MANIFEST_BYTES) continue;
      if (isPlaceholderBlob(await readFile(data))) found.push(`sha256:${hex}`);
    }
  }
  return found;
}

interface DeleteJson {
  report: { tags: Array<{ repository: string; tag: string; method: string; result: string }> };
}

describe.each(versions)("one tag and only that tag, online on registry %s", (version) => {
  const cleanup: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c();
  });

  it("alias, three on one digest, index child, multi-arch index, cross-repository: each deletes exactly its tag; a kill -9 between PUT and DELETE is finished by a re-run; offline gc leaves no placeholder", async () => {
    const r = await startRegistryProcess({ version });
    cleanup.push(() => r.stop({ removeStorage: true }));
    const base = layer(`base ${version}`);
    const v13 = image({ layers: [base, layer("v1.3.0")] });
    const v12 = image({ layers: [base, layer("v1.2.0")] });
    const three = image({ layers: [base, layer("three")] });
    const amd = image({
      layers: [base, layer("amd")],
      format: "oci",
      platform: { os: "linux", architecture: "amd64" },
    });
    const arm = image({
      layers: [base, layer("arm")],
      format: "oci",
      platform: { os: "linux", architecture: "arm64" },
    });
    const multi = index([amd, arm]);
    const shared = image({ layers: [base, layer("shared across repositories")] });
    const killed = image({ layers: [base, layer("killed")] });
    await pushManifest(r, "alias", v13, "v1.3.0");
    await pushManifest(r, "alias", v13, "latest");
    await pushManifest(r, "alias", v12, "v1.2.0");
    for (const t of ["t1", "t2", "t3"]) await pushManifest(r, "three", three, t);
    await pushManifest(r, "multi", multi, "latest");
    await pushManifest(r, "multi", multi, "stable");
    await pushManifest(r, "multi", amd, "amd-only");
    await pushManifest(r, "cross/a", shared, "v1");
    await pushManifest(r, "cross/a", shared, "latest");
    await pushManifest(r, "cross/b", shared, "v1");
    await pushManifest(r, "kill", killed, "v2");
    await pushManifest(r, "kill", killed, "latest");
    const repos = ["alias", "three", "multi", "cross/a", "cross/b", "kill"];
    const before = await tagMap(r, repos);
    // Every tag pulls, digest-checked, before anything is deleted.
    for (const [ref, digest] of Object.entries(before)) await expectPullable(r.host, ref, digest);

    const asked = ["alias:latest", "three:t2", "multi:amd-only", "multi:stable", "cross/a:v1"];
    const expected = { ...before };
    for (const ref of asked) {
      const dry = await runRegsweep(["delete", "--registry", r.url, ref, "--dry-run"]);
      expect(dry.code, dry.stderr).toBe(0);
      expect(dry.stdout).toContain("through a placeholder");
      expect(dry.stderr).toContain("placeholder manifest");
      expect(await tagMap(r, repos), `${ref}: a dry run changes nothing`).toEqual(expected);

      const out = await runRegsweep(["delete", "--registry", r.url, ref, "--yes", "--json"]);
      expect(out.code, out.stderr).toBe(0);
      const report = (JSON.parse(out.stdout) as DeleteJson).report;
      const [repository, tag] = ref.split(":") as [string, string];
      expect(report.tags).toEqual([
        { repository, tag, method: "placeholder", result: "deleted", placeholder: expect.any(String) },
      ]);
      delete expected[ref];
      expect(await tagMap(r, repos), `${ref}: exactly that tag is gone`).toEqual(expected);
    }

    // kill -9 between the PUT and the DELETE: the tag names the placeholder, and the next run finishes.
    const dir = await mkdtemp(join(tmpdir(), "regsweep-kill-"));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const marker = join(dir, "put-done");
    const child = spawn(
      process.execPath,
      [REGSWEEP_BIN, "delete", "--registry", r.url, "kill:latest", "--yes"],
      {
        env: {
          ...process.env,
          NO_COLOR: "1",
          HOME: tmpdir(),
          REGSWEEP_TEST_PAUSE_AFTER_PLACEHOLDER_PUT: marker,
        },
        stdio: "ignore",
      },
    );
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on("exit", (_c, signal) => resolve(signal)),
    );
    let put: string | undefined;
    for (let i = 0; i < 600 && put === undefined; i++) {
      put = await readFile(marker, "utf8").catch(() => undefined);
      if (put === undefined) await new Promise((done) => setTimeout(done, 50));
    }
    expect(put, "the CLI reached the point between PUT and DELETE").toBeDefined();
    child.kill("SIGKILL");
    expect(await exited).toBe("SIGKILL");
    const placeholder = (put as string).trim().split(" ")[1] as string;
    const interrupted = await tagMap(r, ["kill"]);
    expect(interrupted).toEqual({ "kill:latest": placeholder, "kill:v2": killed.digest });

    const listed = await runRegsweep(["ls", "--registry", r.url, "kill", "--json"]);
    expect(JSON.parse(listed.stdout)).toContainEqual(
      expect.objectContaining({ tag: "latest", placeholder: true }),
    );

    const rerun = await runRegsweep(["delete", "--registry", r.url, "kill:latest", "--yes", "--json"]);
    expect(rerun.code, rerun.stderr).toBe(0);
    delete expected["kill:latest"];
    expect(await tagMap(r, repos)).toEqual(expected);

    // Every other tag still pulls, digest-checked, and what was asked is gone.
    for (const [ref, digest] of Object.entries(expected)) await expectPullable(r.host, ref, digest);
    for (const ref of [...asked, "kill:latest"]) await expectNotPullable(r.host, ref);

    // Offline gc (default one-hour grace: the placeholders are seconds old) leaves no placeholder behind.
    await r.stop();
    expect((await placeholderBlobs(r.storageRoot)).length).toBeGreaterThan(0);
    const gc = await runRegsweep(["gc", "--storage", r.storageRoot, "--yes"]);
    expect(gc.code, gc.stderr).toBe(0);
    expect(await placeholderBlobs(r.storageRoot)).toEqual([]);
    const check = await runRegsweep(["check", "--storage", r.storageRoot, "--json"]);
    expect(check.code, check.stdout).toBe(0);
    const fsck = JSON.parse(check.stdout) as {
      summary: { tags: number; okTags: number };
      orphans: Record<string, { count: number }>;
      findings: unknown[];
    };
    expect(fsck.summary.okTags).toBe(fsck.summary.tags);
    expect(Object.values(fsck.orphans).map((o) => o.count)).toEqual([0, 0, 0]);
    expect(fsck.findings).toEqual([]);
    const again = await startRegistryProcess({ version, storageRoot: r.storageRoot });
    cleanup.push(() => again.stop());
    for (const [ref, digest] of Object.entries(expected)) await expectPullable(again.host, ref, digest);
  });
});
