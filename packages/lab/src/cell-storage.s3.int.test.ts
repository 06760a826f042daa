import { isStoreFailure, S3Store } from "@regsweep/cleaner";
import { afterAll, describe, expect, inject, it } from "vitest";
import { type CellStorage, createCellStorage } from "./cell-storage.js";
import {
  blobExists,
  countBlobs,
  expectNoRegistryData,
  listStorageFiles,
  snapshotStorage,
  V2_PATH,
} from "./storage-tree.js";

const server = inject("s3Server");
const HEX = "ab".padEnd(64, "0");

/** Writes objects under the cell's prefix, as the registry's s3 driver would. */
async function put(storage: CellStorage, files: Record<string, string>): Promise<void> {
  for (const [path, body] of Object.entries(files)) await storage.store.put(`${V2_PATH}/${path}`, [body]);
}

describe(`a lab cell's storage on the s3 driver (${server.kind})`, () => {
  const made: CellStorage[] = [];
  afterAll(async () => {
    for (const s of made) await s.dispose();
  });
  const cell = async () => {
    const storage = await createCellStorage("s3", "2.8.3", { s3Server: server });
    made.push(storage);
    return storage;
  };

  it("names its bucket prefix to regsweep through the registry's config, and holds no data at first", async () => {
    const storage = await cell();
    expect(storage.location).toMatch(/^s3:\/\/regsweep-lab-[a-z0-9-]+\/reg$/);
    expect(storage.cliArgs[0]).toBe("--config");
    expect(storage.s3).toMatchObject({ endpoint: server.endpoint, rootDirectory: "/reg" });
    expect(await storage.makeEmptyDataRoot()).toBe(false);
    await expectNoRegistryData(storage.store);
    expect(await snapshotStorage(storage.store)).toBe("");
  });

  it("the emptied-storage assertion sees any key but uploads; blobs are counted and found by digest", async () => {
    const storage = await cell();
    await put(storage, { "repositories/test/a/_uploads/u1/startedat": "x" });
    await expectNoRegistryData(storage.store);
    await put(storage, {
      [`blobs/sha256/ab/${HEX}/data`]: "blob",
      [`repositories/test/a/_layers/sha256/${HEX}/link`]: `sha256:${HEX}`,
    });
    await expect(expectNoRegistryData(storage.store)).rejects.toThrow(
      new RegExp(`registry has data[^]*s3://[^]*repositories/test/a/_layers/sha256/${HEX}/link`),
    );
    expect(await countBlobs(storage.store)).toBe(1);
    expect(await blobExists(storage.store, `sha256:${HEX}`)).toBe(true);
    expect(await blobExists(storage.store, `sha256:${"cd".padEnd(64, "1")}`)).toBe(false);
    expect(await listStorageFiles(storage.store, { ignoreUploads: true })).toEqual([
      `blobs/sha256/ab/${HEX}/data`,
      `repositories/test/a/_layers/sha256/${HEX}/link`,
    ]);
  });

  it("a snapshot changes with a key's content; a saved tree is put back exactly", async () => {
    const storage = await cell();
    await put(storage, { [`blobs/sha256/ab/${HEX}/data`]: "one", "repositories/r/_layers/x/link": "l" });
    const before = await snapshotStorage(storage.store);
    expect(before).toContain(`d blobs/sha256/ab/${HEX}`);
    const saved = await storage.saveTree();
    await put(storage, { [`blobs/sha256/ab/${HEX}/data`]: "two", "repositories/r/extra": "e" });
    expect(await snapshotStorage(storage.store)).not.toBe(before);
    await saved.restore();
    await saved.dispose();
    expect(await snapshotStorage(storage.store)).toBe(before);
  });

  it("dispose removes the bucket with everything in it", async () => {
    const storage = await cell();
    made.splice(made.indexOf(storage), 1);
    await put(storage, { [`blobs/sha256/ab/${HEX}/data`]: "blob" });
    const bucket = storage.location.replace(/^s3:\/\/([^/]+)\/.*$/, "$1");
    await storage.dispose();
    const after = new S3Store({
      bucket,
      prefix: "",
      region: server.region,
      endpoint: server.endpoint,
      credentials: { accessKeyId: server.accessKey, secretAccessKey: server.secretKey },
    });
    try {
      const [listing] = await after.list([V2_PATH]);
      expect(isStoreFailure(listing) ? listing.code : listing).toBe("NoSuchBucket");
    } finally {
      await after.close();
    }
  });
});
