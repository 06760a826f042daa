import { describe, expect, it } from "vitest";
import { runRegsweep } from "./test-support/run-regsweep.js";

// Opening a bucket builds the AWS SDK's client, which on Node 20 prints a warning about its own future
// versions. An operator must see only regsweep's message (here: the endpoint refuses the connection).
describe("regsweep on a bucket says only what regsweep has to say", () => {
  it("prints no AWS SDK version warning, only the error naming the bucket", async () => {
    const env = { AWS_ACCESS_KEY_ID: "key", AWS_SECRET_ACCESS_KEY: "secret" };
    // Port 9 (discard) on loopback: nothing listens, the connection is refused at once.
    const run = await runRegsweep(
      ["ls", "--storage", "s3://bucket/root", "--s3-endpoint", "http://127.0.0.1:9"],
      {
        env,
      },
    );
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain("s3://bucket/root");
    expect(run.stderr).not.toMatch(/NodeVersionSupportWarning|AWS SDK/);
  });
});
