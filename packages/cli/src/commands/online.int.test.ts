import { execFileSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  defaultTestVersion,
  expectNotPullable,
  expectPullable,
  image,
  layer,
  makeTestTls,
  pushManifest,
  type StartedRegistry,
  startRegistryProcess,
} from "@regsweep/testbed";
import { afterEach, describe, expect, it } from "vitest";
import { runRegsweep } from "../test-support/run-regsweep.js";

const PASSWORD = "pw-never-printed-42";

function regsweep(args: string[], stdin = "", env: NodeJS.ProcessEnv = {}) {
  return runRegsweep(args, { stdin, env });
}

describe("regsweep delete --registry (online)", () => {
  const cleanup: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });
  const start = async (
    opts: { deleteEnabled?: boolean; htpasswd?: string } = {},
  ): Promise<StartedRegistry> => {
    const r = await startRegistryProcess({ version: defaultTestVersion(), ...opts });
    cleanup.push(() => r.stop({ removeStorage: true }));
    return r;
  };

  it("deletes a tag through the API with basic auth from --password-stdin and says how to reclaim the space", async () => {
    const dir = await mkdtemp(join(tmpdir(), "regsweep-cli-htpasswd-"));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    await writeFile(join(dir, "htpasswd"), execFileSync("htpasswd", ["-Bbn", "bob", PASSWORD]));
    const r = await start({ htpasswd: join(dir, "htpasswd") });
    const target = { url: r.url, auth: { username: "bob", password: PASSWORD } };
    const a = image({ layers: [layer("a")] });
    const b = image({ layers: [layer("b")] });
    await pushManifest(target, "app", a, "1");
    await pushManifest(target, "app", b, "2");

    const anonymous = await regsweep(["delete", "--registry", r.url, "app:1", "--yes"]);
    expect(anonymous.code).toBe(4);

    const dry = await regsweep(
      ["delete", "--registry", r.url, "-U", "bob", "--password-stdin", "app:1", "--dry-run"],
      PASSWORD,
    );
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/^delete tag +app +1 +[0-9a-f]{12} /m);

    const real = await regsweep(
      ["delete", "--registry", r.url, "-U", "bob", "--password-stdin", "app:1", "--yes"],
      PASSWORD,
    );
    expect(real.code, real.stderr).toBe(0);
    expect(real.stderr).toContain("garbage-collect");
    // Credentials from the Docker config file (what `docker login` writes), no flags.
    await writeFile(
      join(dir, "config.json"),
      JSON.stringify({ auths: { [r.host]: { auth: Buffer.from(`bob:${PASSWORD}`).toString("base64") } } }),
    );
    const fromConfig = await regsweep(["delete", "--registry", r.url, "app:2", "--dry-run"], "", {
      DOCKER_CONFIG: dir,
    });
    expect(fromConfig.code, fromConfig.stderr).toBe(0);
    expect(fromConfig.stdout).toMatch(/^delete tag +app +2 +[0-9a-f]{12} /m);
    for (const out of [anonymous, dry, real, fromConfig])
      expect(out.stdout + out.stderr).not.toContain(PASSWORD);

    // Verified without auth on the same tree by skopeo, an independent client.
    await r.restart({ htpasswd: undefined });
    await expectNotPullable(r.host, "app:1");
    await expectPullable(r.host, "app:2", b.digest);
  });

  it("verifies TLS: exit 4 with a hint for an unknown CA, works with --ca-cert", async () => {
    const dir = await mkdtemp(join(tmpdir(), "regsweep-cli-tls-"));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const tls = makeTestTls(dir);
    const r = await startRegistryProcess({ version: defaultTestVersion() });
    cleanup.push(() => r.stop({ removeStorage: true }));
    const a = image({ layers: [layer("tls a")] });
    await pushManifest(r, "app", a, "1");
    await pushManifest(r, "app", image({ layers: [layer("tls b")] }), "2");
    await r.restart({ tls: { certificate: tls.certificate, key: tls.key } });

    const untrusted = await regsweep(["delete", "--registry", r.url, "app:1", "--yes"]);
    expect(untrusted.code).toBe(4);
    expect(untrusted.stderr).toContain("--ca-cert");
    const trusted = await regsweep(["delete", "--registry", r.url, "--ca-cert", tls.ca, "app:1", "--yes"]);
    expect(trusted.code, trusted.stderr).toBe(0);
    const listed = await regsweep(["delete", "--registry", r.url, "--insecure", "app:1", "--dry-run"]);
    expect(listed.code).toBe(3); // the tag is gone now: tag.not-found
  });

  it("a plan saved with --out applies later through the API (regsweep apply reads the registry from the plan)", async () => {
    const r = await start();
    const dir = await mkdtemp(join(tmpdir(), "regsweep-cli-plan-"));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const keep = image({ layers: [layer("keep")] });
    await pushManifest(r, "app", image({ layers: [layer("old")] }), "old");
    await pushManifest(r, "app", keep, "keep");
    const planFile = join(dir, "plan.json");
    const saved = await regsweep(["delete", "--registry", r.url, "app:old", "--out", planFile]);
    expect(saved.code, saved.stderr).toBe(0);
    await expectPullable(r.host, "app:old");
    const applied = await regsweep(["apply", planFile, "--yes"]);
    expect(applied.code, applied.stderr).toBe(0);
    await expectNotPullable(r.host, "app:old");
    await expectPullable(r.host, "app:keep", keep.digest);
  });

  it("exits 3 with the REGISTRY_STORAGE_DELETE_ENABLED hint when deletes are disabled", async () => {
    const r = await start({ deleteEnabled: false });
    await pushManifest(r, "app", image({ layers: [layer("x")] }), "1");
    const out = await regsweep(["delete", "--registry", r.url, "app:1", "--yes"]);
    expect(out.code).toBe(3);
    expect(out.stderr).toContain("REGISTRY_STORAGE_DELETE_ENABLED=true");
    await expectPullable(r.host, "app:1");
  });
});
