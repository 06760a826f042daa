import { describe, expect, it } from "vitest";
import { AdaptiveLimit, backoffMs, maxAttemptsFromEnv, retryKind } from "./s3-retry.js";

const sdkError = (name: string, status?: number, headers: Record<string, string> = {}) =>
  Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status }, $response: { headers } });

describe("retryKind", () => {
  it.each([
    ["503 SlowDown", sdkError("SlowDown", 503), "throttled"],
    ["429", sdkError("TooManyRequests", 429), "throttled"],
    [
      "a DeleteObjects per-key SlowDown (no status)",
      Object.assign(new Error("x"), { name: "SlowDown" }),
      "throttled",
    ],
    ["500 InternalError", sdkError("InternalError", 500), "transient"],
    ["503 ServiceUnavailable", sdkError("ServiceUnavailable", 503), "throttled"],
    ["a HEAD's bodiless 503", sdkError("UnknownError", 503), "throttled"],
    ["502", sdkError("UnknownError", 502), "transient"],
    [
      "501 NotImplemented (a conditional write Swift does not do)",
      sdkError("NotImplemented", 501),
      undefined,
    ],
    ["a reset connection", Object.assign(new Error("reset"), { code: "ECONNRESET" }), "transient"],
    ["403 AccessDenied", sdkError("AccessDenied", 403), undefined],
    ["404 NoSuchKey", sdkError("NoSuchKey", 404), undefined],
    ["a bug", new TypeError("x is undefined"), undefined],
  ])("%s: %s", (_, error, kind) => {
    expect(retryKind(error)).toBe(kind);
  });
});

describe("backoffMs", () => {
  it("waits up to a ceiling that doubles per attempt from 500 ms (throttled) or 100 ms, capped at 20 s", () => {
    const top = () => 0.999999;
    expect([1, 2, 3, 7, 12].map((a) => backoffMs(a, "throttled", undefined, top))).toEqual([
      499, 999, 1999, 19999, 19999,
    ]);
    expect(backoffMs(1, "transient", undefined, top)).toBe(99);
    expect(backoffMs(5, "throttled", undefined, () => 0)).toBe(0);
  });
  it("never waits less than a Retry-After the server sent (seconds), nor more than the cap", () => {
    expect(backoffMs(1, "throttled", sdkError("SlowDown", 503, { "retry-after": "3" }), () => 0)).toBe(3000);
    expect(backoffMs(1, "throttled", sdkError("SlowDown", 503, { "retry-after": "3600" }), () => 0)).toBe(
      20_000,
    );
  });
});

it("maxAttemptsFromEnv takes AWS_MAX_ATTEMPTS when it is a whole number from 1, else 8", () => {
  expect([undefined, "3", "0", "x", "2.5"].map((v) => maxAttemptsFromEnv({ AWS_MAX_ATTEMPTS: v }))).toEqual([
    8, 3, 8, 8, 8,
  ]);
});

describe("AdaptiveLimit", () => {
  it("halves once per round refused together, never below 1, and grows back by one per round of successes", async () => {
    const limit = new AdaptiveLimit(32);
    // 32 requests sent at 32, all refused: one halving.
    for (let i = 0; i < 32; i++) limit.throttled(32);
    expect(limit.current).toBe(16);
    limit.throttled(16);
    limit.throttled(8);
    limit.throttled(8);
    expect(limit.current).toBe(4);
    for (let i = 0; i < 10; i++) limit.throttled(limit.current);
    expect(limit.current).toBe(1);
    expect(limit.lowest).toBe(1);
    expect(limit.refusals.throttled).toBe(32 + 3 + 10);
    // One success at 1 in flight raises it to 2; two more to 3.
    await limit.send(async () => "ok");
    expect(limit.current).toBe(2);
    await Promise.all([limit.send(async () => 1), limit.send(async () => 2)]);
    expect(limit.current).toBe(3);
  });
  it("answers what ran, or its error with the limit it was sent under", async () => {
    const limit = new AdaptiveLimit(4);
    expect(await limit.send(async () => 7)).toEqual({ value: 7 });
    const refused = await limit.send(async () => {
      throw sdkError("SlowDown", 503);
    });
    expect(refused).toMatchObject({ sentAt: 4 });
  });
});
