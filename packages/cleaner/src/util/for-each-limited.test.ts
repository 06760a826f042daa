import { describe, expect, it } from "vitest";
import { forEachLimited } from "./for-each-limited.js";

describe("forEachLimited", () => {
  it("visits every item once and never runs more than the limit at a time", async () => {
    let running = 0;
    let peak = 0;
    const seen: number[] = [];
    await forEachLimited(
      Array.from({ length: 50 }, (_, i) => i),
      4,
      async (i) => {
        running++;
        peak = Math.max(peak, running);
        await new Promise((r) => setTimeout(r, i % 3));
        seen.push(i);
        running--;
      },
    );
    expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(peak).toBe(4);
  });

  it("stops at the first error", async () => {
    await expect(
      forEachLimited([1, 2, 3], 2, async (i) => {
        if (i === 2) throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
  });
});
