import {
  availableRegistryVersions,
  expectPullable,
  findRegistryVersion,
  image,
  layer,
  pushManifest,
  type StartedRegistry,
  startRegistryProcess,
} from "@regsweep/testbed";
import { afterAll, describe, expect, it } from "vitest";
import type { Digest } from "../digest.js";
import { deleteTagByPlaceholder, resolveDigest } from "./delete-tag-by-placeholder.js";
import { RegistryClient } from "./registry-client.js";

const versions = availableRegistryVersions().filter((v) => !findRegistryVersion(v).deleteByTag);

it("the test bed has 2.x registries to run", () => {
  expect(versions.length).toBeGreaterThan(0);
});

/** Each guard of the placeholder delete against a push racing with it (see `deleteTagByPlaceholder`). */
describe.each(versions)("deleteTagByPlaceholder's race guards on registry %s", (version) => {
  const cleanup: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c();
  });
  const start = async (): Promise<{ r: StartedRegistry; c: RegistryClient }> => {
    const r = await startRegistryProcess({ version });
    const c = new RegistryClient({ url: r.url, retries: 1, backoffMs: 20 });
    cleanup.push(async () => {
      c.close();
      await r.stop({ removeStorage: true });
    });
    return { r, c };
  };

  it("a tag that moved since planning is left on its new manifest, never overwritten", async () => {
    const { r, c } = await start();
    const old = image({ layers: [layer("planned")] });
    const pushed = image({ layers: [layer("pushed since")] });
    await pushManifest(r, "app", old, "latest");
    await pushManifest(r, "app", old, "v1");
    await pushManifest(r, "app", pushed, "latest");
    const out = await deleteTagByPlaceholder(c, "app", "latest", old.digest as Digest);
    expect(out).toEqual({ result: "moved", now: pushed.digest });
    await expectPullable(r.host, "app:latest", pushed.digest);
    await expectPullable(r.host, "app:v1", old.digest);
  });

  it("a push that wins the tag after the PUT is left there: only the placeholder is deleted", async () => {
    const { r, c } = await start();
    const old = image({ layers: [layer("old")] });
    const theirs = image({ layers: [layer("theirs")] });
    await pushManifest(r, "app", old, "latest");
    await pushManifest(r, "app", old, "v1");
    const out = await deleteTagByPlaceholder(c, "app", "latest", old.digest as Digest, {
      afterPut: async () => {
        await pushManifest(r, "app", theirs, "latest");
      },
    });
    expect(out).toMatchObject({ result: "raced", now: theirs.digest });
    await expectPullable(r.host, "app:latest", theirs.digest);
    await expectPullable(r.host, "app:v1", old.digest);
    const placeholder = (out as { placeholder: Digest }).placeholder;
    expect(await resolveDigest(c, "app", placeholder)).toBeUndefined();
  });

  it("the happy path: only the tag goes, and its placeholder is gone by digest too", async () => {
    const { r, c } = await start();
    const m = image({ layers: [layer("alias")] });
    await pushManifest(r, "app", m, "latest");
    await pushManifest(r, "app", m, "v1.3.0");
    let during: Digest | undefined;
    const out = await deleteTagByPlaceholder(c, "app", "latest", m.digest as Digest, {
      afterPut: async () => {
        during = await resolveDigest(c, "app", "latest");
      },
    });
    expect(out.result).toBe("deleted");
    const placeholder = (out as { placeholder: Digest }).placeholder;
    expect(during).toBe(placeholder);
    expect(await resolveDigest(c, "app", "latest")).toBeUndefined();
    expect(await resolveDigest(c, "app", placeholder)).toBeUndefined();
    await expectPullable(r.host, "app:v1.3.0", m.digest);
  });
});
