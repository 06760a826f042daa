import { cp, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FsStore, S3Store, type Store } from "@regsweep/cleaner";
import {
  createTestBucket,
  type RegistryS3Storage,
  registryConfigYaml,
  type S3ServerInfo,
} from "@regsweep/testbed";
import { LabError } from "./lab-errors.js";

/** The registry storage drivers a matrix cell can run on: a folder, or a bucket on a real S3 server. */
export const storageDrivers = ["filesystem", "s3"] as const;
export type StorageDriver = (typeof storageDrivers)[number];

/** The key prefix (the s3 driver's `rootdirectory`) every cell's registry writes under in its bucket. */
export const S3_ROOT_DIRECTORY = "/reg";

/** A copy of a cell's storage tree taken offline; `restore()` puts the tree back exactly as it was. */
export interface SavedTree {
  restore(): Promise<void>;
  dispose(): Promise<void>;
}

/**
 * Where one cell's registry keeps its data, the same for the scenario on both drivers: the cleaner's
 * `Store` over it (what the assertions on the tree read), the flags that point regsweep at it, and what a
 * registry (or upstream `garbage-collect`) needs to be configured for it. Made empty for the cell and
 * removed with everything in it by `dispose()`.
 */
export interface CellStorage {
  readonly driver: StorageDriver;
  /** A folder (filesystem) or `s3://bucket/reg` (s3), for logs and messages. */
  readonly location: string;
  /** The tree through the cleaner's store interface (the same layout on a folder and a bucket prefix). */
  readonly store: Store;
  /** What regsweep gets to find the tree: `--storage <root>`, or `--config <the registry's config.yml>`. */
  readonly cliArgs: readonly string[];
  /** The filesystem driver's root (holds `docker/registry/v2`); for a bucket, a scratch folder of the cell. */
  readonly root: string;
  /** The registry's `storage.s3` settings (s3 only). */
  readonly s3?: RegistryS3Storage;
  /**
   * Makes the tree's `docker/registry/v2` exist while empty, as the seed's set-up leaves it. A bucket has no
   * empty folders (a prefix exists only with a key under it): false there, and nothing is done.
   */
  makeEmptyDataRoot(): Promise<boolean>;
  /** Copies the whole tree aside (the caller stops the registry first), to run two collectors on one tree. */
  saveTree(): Promise<SavedTree>;
  /** Closes the store and removes the tree (folder, or bucket with every object and upload). */
  dispose(): Promise<void>;
}

/** What a cell on the s3 driver needs: the run's S3 server. */
export interface CellStorageOptions {
  s3Server?: S3ServerInfo;
}

/** Makes the empty storage of one cell on `driver`. */
export async function createCellStorage(
  driver: StorageDriver,
  version: string,
  options: CellStorageOptions = {},
): Promise<CellStorage> {
  const root = await mkdtemp(join(tmpdir(), `regsweep-lab-${version}-`));
  if (driver === "filesystem") return filesystemStorage(root);
  const server = options.s3Server;
  if (!server) {
    await rm(root, { recursive: true, force: true });
    throw new LabError("lab.usage", "a cell on the s3 storage driver needs the run's S3 server");
  }
  try {
    return await s3Storage(root, server);
  } catch (error) {
    await rm(root, { recursive: true, force: true });
    throw error;
  }
}

function filesystemStorage(root: string): CellStorage {
  const store = new FsStore(root, { ioThreads: 2 });
  return {
    driver: "filesystem",
    location: root,
    store,
    cliArgs: ["--storage", root],
    root,
    async makeEmptyDataRoot() {
      await mkdir(join(root, "docker", "registry", "v2"), { recursive: true });
      return true;
    },
    async saveTree() {
      // A byte copy of the folder, empty folders included.
      const copy = await mkdtemp(join(tmpdir(), "regsweep-lab-snapshot-"));
      await cp(join(root, "docker"), join(copy, "docker"), { recursive: true });
      return {
        async restore() {
          await rm(join(root, "docker"), { recursive: true, force: true });
          await cp(join(copy, "docker"), join(root, "docker"), { recursive: true });
        },
        dispose: () => rm(copy, { recursive: true, force: true }),
      };
    },
    async dispose() {
      await store.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}

async function s3Storage(root: string, server: S3ServerInfo): Promise<CellStorage> {
  const bucket = await createTestBucket(server, "regsweep-lab");
  const s3: RegistryS3Storage = {
    endpoint: server.endpoint,
    region: server.region,
    bucket: bucket.name,
    accessKey: server.accessKey,
    secretKey: server.secretKey,
    rootDirectory: S3_ROOT_DIRECTORY,
  };
  // The registry's config as an operator has it: regsweep reads the bucket, endpoint and keys from it.
  const config = join(root, "config.yml");
  await writeFile(config, registryConfigYaml({ port: 5000, storageRoot: root, s3, deleteEnabled: true }));
  const prefix = `${S3_ROOT_DIRECTORY.replace(/^\/+/, "")}/`;
  const store = new S3Store({
    bucket: bucket.name,
    prefix,
    region: server.region,
    endpoint: server.endpoint,
    credentials: { accessKeyId: server.accessKey, secretAccessKey: server.secretKey },
  });
  return {
    driver: "s3",
    location: `s3://${bucket.name}/${prefix.slice(0, -1)}`,
    store,
    cliArgs: ["--config", config],
    root,
    s3,
    makeEmptyDataRoot: async () => false,
    async saveTree() {
      // Every object of the tree, read whole (a lab tree is a few MB), written back on restore.
      const saved = new Map<string, Uint8Array>();
      const paths: string[] = [];
      for await (const batch of store.walk("docker")) for (const e of batch) paths.push(e.path);
      const bodies = await store.read(paths);
      paths.forEach((path, i) => {
        const body = bodies[i];
        if (!(body instanceof Uint8Array)) throw new Error(`cannot read ${store.describe(path)} to save it`);
        saved.set(path, body);
      });
      return {
        async restore() {
          const keys = await bucket.keys(prefix);
          for (let i = 0; i < keys.length; i += 1000) await bucket.delete(keys.slice(i, i + 1000));
          for (const [path, body] of saved) await bucket.put(`${prefix}${path}`, body);
        },
        dispose: async () => {
          saved.clear();
        },
      };
    },
    async dispose() {
      await store.close();
      try {
        await bucket.remove();
      } finally {
        await rm(root, { recursive: true, force: true });
      }
    },
  };
}
