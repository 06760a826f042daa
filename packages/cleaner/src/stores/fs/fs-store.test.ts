import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runStoreContract } from "../../test-support/store-contract.js";
import { FsStore } from "./fs-store.js";

runStoreContract("filesystem", async () => {
  const root = await mkdtemp(join(tmpdir(), "regsweep-fs-store-"));
  const store = new FsStore(root, { ioThreads: 2 });
  return {
    store,
    async dispose() {
      await store.close();
      await rm(root, { recursive: true, force: true });
    },
  };
});
