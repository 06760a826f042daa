import { execFileSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  availableRegistryVersions,
  image,
  index,
  layer,
  pushManifest,
  startRegistryProcess,
} from "@regsweep/testbed";
import { afterEach, describe, expect, it } from "vitest";
import type { Digest } from "../model/digest.js";
import { readCreatedTimes } from "../retention/read-created-times.js";
import { readStorageInventory } from "../storage/read-storage-inventory.js";
import { readRegistryCreatedTimes } from "./read-registry-created-times.js";
import { readRegistryInventory } from "./read-registry-inventory.js";
import { RegistryClient } from "./registry-client.js";

it("the test bed has real registry versions to run (scripts/setup.sh fetches them)", () => {
  expect(availableRegistryVersions()).not.toHaveLength(0);
});

describe.each(availableRegistryVersions())("readRegistryCreatedTimes against registry %s", (version) => {
  const cleanup: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });

  it("reads config created over HTTP (index: newest child), behind basic auth, as the offline reader does", async () => {
    const dir = await mkdtemp(join(tmpdir(), "regsweep-created-"));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    await writeFile(join(dir, "htpasswd"), execFileSync("htpasswd", ["-Bbn", "ann", "s3cret"]));
    const r = await startRegistryProcess({ version, htpasswd: join(dir, "htpasswd") });
    cleanup.push(() => r.stop({ removeStorage: true }));
    const auth = { username: "ann", password: "s3cret" };
    const target = { url: r.url, auth };
    const old = image({ layers: [layer("o")], created: "2020-01-01T00:00:00Z" });
    const amd = image({ layers: [layer("a")], created: "2021-01-01T00:00:00Z" });
    const arm = image({
      layers: [layer("b")],
      created: "2022-06-01T00:00:00Z",
      platform: { os: "linux", architecture: "arm64" },
    });
    const oci = image({ layers: [layer("c", "oci")], format: "oci", created: "2019-03-04T05:06:07Z" });
    const multi = index([amd, arm]);
    await pushManifest(target, "app", old, "old");
    await pushManifest(target, "app", multi, "multi");
    await pushManifest(target, "other/oci", oci, "v1");
    // The same image under a second repository and tag: read once, known for both.
    await pushManifest(target, "mirror", old, "copy");

    const client = new RegistryClient({ url: r.url, credentials: auth, concurrency: 2 });
    cleanup.push(async () => client.close());
    const inventory = await readRegistryInventory(client);
    const before = client.requests;
    const times = await readRegistryCreatedTimes(client, inventory);
    expect(times.get(old.digest as Digest)).toBe(Date.UTC(2020, 0, 1));
    expect(times.get(multi.digest as Digest)).toBe(Date.UTC(2022, 5, 1));
    expect(times.get(oci.digest as Digest)).toBe(Date.UTC(2019, 2, 4, 5, 6, 7));
    // Config blobs of old, amd, arm and oci: four GETs, none repeated for the mirror's copy.
    expect(client.requests - before).toBe(4);

    // The offline reader on the same tree agrees on every tagged digest.
    const offline = await readCreatedTimes(r.storageRoot, await readStorageInventory(r.storageRoot));
    for (const d of [old, multi, oci])
      expect(times.get(d.digest as Digest)).toBe(offline.get(d.digest as Digest));
  });
});
