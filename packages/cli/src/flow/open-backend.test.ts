import { InvalidRequestError, S3Store } from "@regsweep/cleaner";
import { describe, expect, it } from "vitest";
import type { CliIo } from "../cli-io.js";
import { openBackend, openStorageBackend } from "./open-backend.js";

// No request is sent: opening a backend makes its store and client only. The address is never dialled.
const io: CliIo = {
  out() {},
  async outLines() {},
  err() {},
  interactive: false,
  stderrIsTTY: false,
  env: { AWS_ACCESS_KEY_ID: "AK", AWS_SECRET_ACCESS_KEY: "SK" },
  confirm: async () => false,
};
const bucket = { storage: "s3://regbucket/reg", s3Endpoint: "http://127.0.0.1:9" };

/** The S3 store a storage backend works on. */
function s3StoreOf(target: unknown): S3Store {
  expect(target).toBeInstanceOf(S3Store);
  return target as S3Store;
}

describe("--concurrency on a bucket", () => {
  it.each([
    ["not given: the store's default", undefined, 32],
    ["given", "5", 5],
    ["the most", "256", 256],
  ])("%s caps the S3 store's requests in flight (gc, delete, ls, apply…)", async (_, flag, expected) => {
    await using backend = await openBackend({ ...bucket, concurrency: flag }, io);
    if (backend.kind !== "storage") expect.unreachable("a bucket opens as a storage backend");
    const store = s3StoreOf(backend.target);
    expect(store.concurrency).toBe(expected);
    expect(store.summary()).toContain(`of ${expected})`);
  });

  it("reaches the store of du and check too", async () => {
    await using backend = await openStorageBackend({ ...bucket, concurrency: "7" }, io);
    expect(s3StoreOf(backend.target).concurrency).toBe(7);
  });

  it.each(["0", "257", "4.5", "many"])("refuses %s with a coded error", async (flag) => {
    await expect(openBackend({ ...bucket, concurrency: flag }, io)).rejects.toBeInstanceOf(
      InvalidRequestError,
    );
  });
});
