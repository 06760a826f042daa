import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTestBucket, s3ChainEnv, type TestBucket } from "@regsweep/testbed";
import { afterAll, beforeAll, inject } from "vitest";

/**
 * For an S3 test file: a bucket of its own on the run's server and a scratch folder to write a tree in before
 * uploading it, made before the file's tests and removed after them; `env` reaches the server through the AWS
 * chain, `at(prefix)` are the flags naming a prefix of the bucket.
 */
export function useBucketAndTree(name: string) {
  const server = inject("s3Server");
  let bucket: TestBucket | undefined;
  let tree: string | undefined;
  beforeAll(async () => {
    bucket = await createTestBucket(server, name);
    tree = await mkdtemp(join(tmpdir(), `regsweep-s3-${name}-`));
  });
  afterAll(async () => {
    await bucket?.remove();
    if (tree) await rm(tree, { recursive: true, force: true });
  });
  const made = <T>(value: T | undefined): T => {
    if (value === undefined)
      throw new Error("the bucket and folder are made in beforeAll: use them in tests");
    return value;
  };
  return {
    server,
    env: s3ChainEnv(server),
    get bucket(): TestBucket {
      return made(bucket);
    },
    /** The scratch folder for the tree. */
    get tree(): string {
      return made(tree);
    },
    at: (prefix: string) => [
      "--storage",
      `s3://${made(bucket).name}/${prefix}`,
      "--s3-endpoint",
      server.endpoint,
    ],
  };
}
