import { mkdir, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { image, layer } from "@regsweep/testbed";
import { expect, it } from "vitest";
import type { Inventory } from "../model/inventory.js";
import { readStoreInventory } from "../storage/read-storage-inventory.js";
import { useStorageTree } from "../test-support/storage-tree.js";
import { FsStore } from "./fs/fs-store.js";
import type { Store } from "./store.js";

/** The inventory without the store's order keys (a store without layout scans has none). */
function withoutOrder(inventory: Inventory) {
  const strip = <T extends { orderKey?: number }>(x: T) => ({ ...x, orderKey: undefined });
  return {
    ...inventory,
    readAtMs: 0,
    repositories: inventory.repositories.map((r) => ({
      ...r,
      revisions: r.revisions.map(strip),
      layers: r.layers.map(strip),
    })),
    blobs: new Map([...inventory.blobs].map(([d, b]) => [d, strip(b)])),
  };
}

it("reads the same inventory through listing and reading as through the filesystem store's layout scans", async () => {
  const app = image({ layers: [layer("scan base"), layer("scan app")], salt: "scan" });
  const old = image({ layers: [layer("scan base")], salt: "scan-old" });
  const root = await useStorageTree({
    repositories: {
      "team/app": {
        tags: { latest: { current: app, history: [old] } },
        orphanLayers: [layer("scan orphan")],
      },
    },
    orphanBlobs: [layer("scan orphan blob")],
  });
  const v2 = join(root, "docker/registry/v2");
  // Oddities each scan reports: an empty link folder, one holding a folder, a file where a folder belongs,
  // a symbolic link as blob data, an empty blob folder; beside a link or a blob's data, a file, and a link
  // that is a symbolic link.
  await mkdir(join(v2, "repositories/team/app/_layers/sha256", "c".repeat(64)), { recursive: true });
  await mkdir(join(v2, "repositories/team/app/_layers/sha256", "d".repeat(64), "junk"), { recursive: true });
  await writeFile(join(v2, "repositories/team/app/_layers/sha256/stray"), "x");
  await mkdir(join(v2, "blobs/sha256/ee", "e".repeat(64)), { recursive: true });
  await mkdir(join(v2, "blobs/sha256/ff", "f".repeat(64)), { recursive: true });
  await symlink("/etc/hostname", join(v2, "blobs/sha256/ff", "f".repeat(64), "data"));
  const layerDir = join(
    v2,
    "repositories/team/app/_layers",
    app.blobs[0]?.digest.replace(":", "/") as string,
  );
  await writeFile(join(layerDir, "link.orig"), "x");
  await mkdir(join(v2, "repositories/team/app/_layers/sha256", "9".repeat(64)), { recursive: true });
  await symlink(layerDir, join(v2, "repositories/team/app/_layers/sha256", "9".repeat(64), "link"));
  const blob = app.blobs[1]?.digest.slice("sha256:".length) as string;
  await writeFile(join(v2, "blobs/sha256", blob.slice(0, 2), blob, "data.tmp"), "x");

  const fast = new FsStore(root, { ioThreads: 2 });
  const plain = new FsStore(root, { ioThreads: 2 });
  // The same store with its layout scans hidden: what an object store without them gets.
  const listing: Store = Object.assign(Object.create(plain) as Store, { scans: undefined });
  try {
    const a = await readStoreInventory(fast);
    const b = await readStoreInventory(listing);
    expect(a.findings.map((f) => `${f.code} ${f.path.split("/").slice(-2).join("/")}`).sort()).toEqual(
      [
        `entry.symlink ${"9".repeat(64)}/link`,
        `entry.symlink ${"f".repeat(64)}/data`,
        `entry.unexpected ${"d".repeat(64)}/junk`,
        `entry.unexpected ${app.blobs[0]?.digest.slice(7)}/link.orig`,
        `entry.unexpected ${blob}/data.tmp`,
        "entry.unexpected sha256/stray",
      ].sort(),
    );
    expect(a.strays?.map((p) => p.split("/").at(-1)).sort()).toEqual(["data.tmp", "link.orig", "stray"]);
    expect(a.emptyDirs.length).toBeGreaterThan(1);
    expect(withoutOrder(b)).toEqual(withoutOrder(a));
    expect([...a.blobs.values()].every((blob) => (blob.orderKey ?? 0) > 0)).toBe(true);
  } finally {
    await fast.close();
    await plain.close();
  }
});
