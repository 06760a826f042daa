import { InvalidRequestError, S3Store } from "@regsweep/cleaner";
import { describe, expect, it } from "vitest";
import type { CliIo } from "../cli-io.js";
import { openBackend, openStorageBackend, signalAtRequest } from "./open-backend.js";

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

describe("the S3 request test hooks", () => {
  /** The requests (index: operation) before which the hook signalled, over a run sending `operations`. */
  function firedAt(env: NodeJS.ProcessEnv, operations: string[]): string[] {
    const fired: string[] = [];
    const hook = signalAtRequest(env, (signal) => fired.push(signal));
    operations.forEach((operation, i) => {
      const before = fired.length;
      hook?.(i, operation);
      if (fired.length > before) fired[fired.length - 1] += ` before ${i}: ${operation}`;
    });
    return fired;
  }
  const run = ["ListObjectsV2", "GetObject", "DeleteObjects", "PutObject", "DeleteObjects", "DeleteObjects"];

  it("is off without its variables", () => {
    expect(signalAtRequest({})).toBeUndefined();
  });

  it("<n> fires before the run's request n", () => {
    expect(firedAt({ REGSWEEP_TEST_KILL_AT_S3_REQUEST: "3" }, run)).toEqual(["SIGKILL before 3: PutObject"]);
  });

  it("<Operation>:<n> fires before request n of that operation only", () => {
    expect(firedAt({ REGSWEEP_TEST_KILL_AT_S3_REQUEST: "DeleteObjects:1" }, run)).toEqual([
      "SIGKILL before 4: DeleteObjects",
    ]);
    expect(firedAt({ REGSWEEP_TEST_INTERRUPT_AT_S3_REQUEST: "GetObject:0" }, run)).toEqual([
      "SIGINT before 1: GetObject",
    ]);
    expect(firedAt({ REGSWEEP_TEST_KILL_AT_S3_REQUEST: "HeadObject:0" }, run)).toEqual([]);
  });

  it("refuses a value of another form", () => {
    expect(() => signalAtRequest({ REGSWEEP_TEST_KILL_AT_S3_REQUEST: "DeleteObjects" })).toThrow(
      "not <n> or <Operation>:<n>",
    );
  });
});
