import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  defaultTestVersion,
  expectNotPullable,
  expectPullable,
  image,
  index,
  layer,
  type PushTarget,
  pushManifest,
  type StartedRegistry,
  startRegistryProcess,
  tags,
  writeHtpasswd,
} from "@regsweep/testbed";
import { afterEach, describe, expect, it } from "vitest";
import { runRegsweep } from "../test-support/run-regsweep.js";

const PASSWORD = "pw-retain-online-7";

describe("regsweep retain --registry / ls --registry (online, a running registry)", () => {
  const cleanup: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });
  const start = async (opts: { htpasswd?: string } = {}): Promise<StartedRegistry> => {
    const r = await startRegistryProcess({ version: defaultTestVersion(), deleteEnabled: true, ...opts });
    cleanup.push(() => r.stop({ removeStorage: true }));
    return r;
  };

  it("the seed's clean_old_versions: --registry-url, --image, --include, -l 4 deletes the oldest by name", async () => {
    const r = await start();
    const digests: Record<string, string> = {};
    for (const t of ["1", "2", "3", "4", "5"])
      digests[t] = await pushManifest(r, "busybox/busy", image({ layers: [layer(`busy ${t}`)] }), t);

    // The seed's test_clean_old_versions invocation, against the registry's URL.
    const seedArgs = [
      "retain",
      "--registry-url",
      `http://${r.host}`,
      "--image",
      "busybox/busy",
      "--include",
      ".*",
    ];
    const dry = await runRegsweep([...seedArgs, "-l", "4", "--dry-run"]);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/^delete busybox\/busy:1\b/m);
    expect(dry.stdout).toMatch(/^keep {3}busybox\/busy:5\b/m);
    expect((await tags(r.url, "busybox/busy")).sort()).toEqual(["1", "2", "3", "4", "5"]);

    const real = await runRegsweep([...seedArgs, "-l", "4", "--yes"]);
    expect(real.code, real.stderr).toBe(0);
    expect(real.stderr).toContain("garbage-collect");
    await expectNotPullable(r.host, "busybox/busy:1");
    for (const t of ["2", "3", "4", "5"]) await expectPullable(r.host, `busybox/busy:${t}`, digests[t]);

    // A re-run converges: nothing left to delete.
    const again = await runRegsweep([
      "retain",
      "--registry",
      r.url,
      "-i",
      "busybox/busy",
      "-l",
      "4",
      "--yes",
    ]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain("nothing to delete");
  });

  it("the seed's clean-old-versions case on 2.x: busy:1,2,3,4,latest on one digest, -l 4 deletes busy:1 alone", async () => {
    const r = await start();
    const one = image({ layers: [layer("busy, one digest for all")] });
    for (const t of ["1", "2", "3", "4", "latest"]) await pushManifest(r, "busybox/busy", one, t);
    const args = ["retain", "--registry-url", r.url, "--image", "busybox/busy", "--include", ".*", "-l", "4"];
    const dry = await runRegsweep([...args, "--dry-run"]);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/^delete busybox\/busy:1 .*shares its digest with kept tag/m);
    expect(dry.stdout).toContain("through a placeholder");
    const real = await runRegsweep([...args, "--yes"]);
    expect(real.code, real.stderr).toBe(0);
    expect((await tags(r.url, "busybox/busy")).sort()).toEqual(["2", "3", "4", "latest"]);
    await expectNotPullable(r.host, "busybox/busy:1");
    for (const t of ["2", "3", "4", "latest"]) await expectPullable(r.host, `busybox/busy:${t}`, one.digest);
  });

  it("retain --last 5 deletes old version tags whose digest latest shares, without touching latest", async () => {
    const r = await start();
    const images = Object.fromEntries(
      [1, 2, 3, 4, 5, 6, 7].map((i) => [`v1.${i}`, image({ layers: [layer(`app v1.${i}`)] })]),
    );
    for (const [t, m] of Object.entries(images)) await pushManifest(r, "app", m, t);
    // latest was pushed with v1.2 (a CI pipeline pushes vX and latest); it is outside the rule's tags.
    const v12 = images["v1.2"] as (typeof images)[string];
    await pushManifest(r, "app", v12, "latest");
    const out = await runRegsweep([
      "retain",
      "--registry",
      r.url,
      "-i",
      "^app$",
      "-E",
      "^v",
      "-l",
      "5",
      "-o",
      "semver",
      "--yes",
      "--json",
    ]);
    expect(out.code, out.stderr).toBe(0);
    const report = (JSON.parse(out.stdout) as { report: { tags: Array<{ tag: string; method: string }> } })
      .report;
    expect(report.tags.map((t) => [t.tag, t.method]).sort()).toEqual([
      ["v1.1", "digest"],
      ["v1.2", "placeholder"],
    ]);
    expect((await tags(r.url, "app")).sort()).toEqual(["latest", "v1.3", "v1.4", "v1.5", "v1.6", "v1.7"]);
    await expectPullable(r.host, "app:latest", v12.digest);
    await expectNotPullable(r.host, "app:v1.2");
    await expectNotPullable(r.host, "app:v1.1");
  });

  it("-o date orders by the image creation time read from config blobs, not by tag name", async () => {
    const r = await start();
    // Names sort the other way round from creation times.
    const created: Record<string, string> = {
      a: "2024-03-01T00:00:00Z",
      b: "2023-02-01T00:00:00Z",
      c: "2022-01-01T00:00:00Z",
    };
    const digests: Record<string, string> = {};
    for (const [t, when] of Object.entries(created))
      digests[t] = await pushManifest(r, "app", image({ layers: [layer(`app ${t}`)], created: when }), t);
    // An index takes its newest child's time (2025): kept as the newest.
    const multi = index([
      image({ layers: [layer("m1")], created: "2021-01-01T00:00:00Z" }),
      image({
        layers: [layer("m2")],
        created: "2025-01-01T00:00:00Z",
        platform: { os: "linux", architecture: "arm64" },
      }),
    ]);
    digests.m = await pushManifest(r, "app", multi, "m");

    const run = await runRegsweep([
      "retain",
      "--registry",
      r.url,
      "-i",
      "^app$",
      "-l",
      "2",
      "-o",
      "date",
      "--yes",
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^delete app:b\b/m);
    expect(run.stdout).toMatch(/^delete app:c\b/m);
    await expectNotPullable(r.host, "app:b");
    await expectNotPullable(r.host, "app:c");
    await expectPullable(r.host, "app:a", digests.a);
    await expectPullable(r.host, "app:m", digests.m);
  });

  it("--exclude and the -b/-a creation window work online as offline: only tags created inside the window go", async () => {
    const r = await start();
    const when: Record<string, string> = {
      "t-dec": "2015-12-01T00:00:00Z",
      "t-jan": "2016-01-05T00:00:00Z",
      "t-mar": "2016-03-01T00:00:00Z",
      "t-apr": "2016-04-01T00:00:00Z",
      "t-jul": "2016-07-01T00:00:00Z",
    };
    for (const [t, created] of Object.entries(when))
      await pushManifest(r, "app", image({ layers: [layer(t)], created }), t);
    const run = await runRegsweep([
      "retain",
      "--registry-url",
      r.url,
      "--image",
      "^app$",
      "--exclude",
      "^t-mar$",
      "-l",
      "0",
      "-o",
      "date",
      "-b",
      "2016-06-25T12:00:00",
      "-a",
      "2016-01-01T00:00:00",
      "--yes",
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect((await tags(r.url, "app")).sort()).toEqual(["t-dec", "t-jul", "t-mar"]);
    await expectNotPullable(r.host, "app:t-jan");
    await expectNotPullable(r.host, "app:t-apr");
    await expectPullable(r.host, "app:t-mar");
  });

  it("a tag whose digest the plan keeps (child of a kept index) goes alone on 2.x, and the index stays whole", async () => {
    const r = await start();
    const amd = image({ layers: [layer("x1")] });
    const multi = index([
      amd,
      image({ layers: [layer("x2")], platform: { os: "linux", architecture: "arm64" } }),
    ]);
    await pushManifest(r, "multi", multi, "latest");
    await pushManifest(r, "multi", amd, "amd64");
    const run = await runRegsweep([
      "retain",
      "--registry",
      r.url,
      "-i",
      "^multi$",
      "--keep",
      "latest",
      "-l",
      "0",
      "--yes",
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^delete multi:amd64 .*deleted alone through a placeholder manifest/m);
    await expectNotPullable(r.host, "multi:amd64");
    await expectPullable(r.host, `multi@${amd.digest}`, amd.digest);
    await expectPullable(r.host, "multi:latest", multi.digest);
  });

  it("basic auth with -U/-P against an htpasswd registry; never prints the password", async () => {
    const dir = await mkdtemp(join(tmpdir(), "regsweep-retain-htpasswd-"));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const r = await start({ htpasswd: writeHtpasswd(dir, "bob", PASSWORD) });
    const target: PushTarget = { url: r.url, auth: { username: "bob", password: PASSWORD } };
    for (const t of ["1", "2", "3"])
      await pushManifest(target, "secure/app", image({ layers: [layer(`s ${t}`)] }), t);

    const args = ["retain", "--registry-url", r.url, "-i", "secure/app", "-l", "2", "--yes"];
    const anonymous = await runRegsweep(args);
    expect(anonymous.code).toBe(4);
    const wrong = await runRegsweep([...args, "-U", "bob", "-P", "not-it"]);
    expect(wrong.code).toBe(4);
    const real = await runRegsweep([...args, "-U", "bob", "-P", PASSWORD]);
    expect(real.code, real.stderr).toBe(0);
    expect(real.stdout).toMatch(/^delete secure\/app:1\b/m);
    for (const out of [anonymous, wrong, real]) expect(out.stdout + out.stderr).not.toContain(PASSWORD);

    const ls = await runRegsweep(["ls", "--registry", r.url, "-U", "bob", "-P", PASSWORD, "--json"]);
    expect(ls.code, ls.stderr).toBe(0);
    expect((JSON.parse(ls.stdout) as Array<{ tag: string }>).map((row) => row.tag).sort()).toEqual([
      "2",
      "3",
    ]);
  });

  it("online and offline targets together, or two different registries, are refused and nothing is deleted", async () => {
    const r = await start();
    const digest = await pushManifest(r, "keep/me", image({ layers: [layer("k")] }), "1");
    for (const extra of [
      ["--storage", r.storageRoot],
      ["--registry", "http://127.0.0.1:1"],
    ]) {
      const run = await runRegsweep([
        "retain",
        "--registry-url",
        r.url,
        ...extra,
        "-i",
        "keep/me",
        "-l",
        "0",
        "--yes",
      ]);
      expect(run.code).toBe(2);
    }
    await expectPullable(r.host, "keep/me:1", digest);
  });

  it("ls --registry lists repositories, tags, digests and descriptor sizes; pushed blank, created with --created", async () => {
    const r = await start();
    const img = image({ layers: [layer("ls content")], created: "2023-05-06T07:08:09Z" });
    await pushManifest(r, "team/web", img, "v1");
    const expectedSize = img.bytes.length + img.blobs.reduce((n, b) => n + b.size, 0);

    const json = await runRegsweep(["ls", "--registry", r.url, "--json", "--created"]);
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual([
      {
        repository: "team/web",
        tag: "v1",
        digest: img.digest,
        mediaType: img.mediaType,
        size: expectedSize,
        pushedAt: null,
        createdAt: "2023-05-06T07:08:09.000Z",
      },
    ]);
    const table = await runRegsweep(["ls", "--registry", r.url, "team/*"]);
    expect(table.code, table.stderr).toBe(0);
    // Online the API says nothing of push times: no pushed column at all (and no 1970 in it).
    expect(table.stdout.split("\n")).toEqual([
      "REPOSITORY   TAG   DIGEST         SIZE",
      expect.stringMatching(new RegExp(`^team/web {5}v1 {4}${img.digest.slice(7, 19)} {3}\\d`)),
      "",
    ]);
  });
});
