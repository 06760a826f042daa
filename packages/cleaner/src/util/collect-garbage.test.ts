import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { collectGarbage } from "./collect-garbage.js";

describe("collectGarbage", () => {
  it("frees an object nothing references any more, whether or not the process exposed gc", async () => {
    let big: number[] | undefined = new Array(100_000).fill(1);
    const ref = new WeakRef(big);
    big = undefined;
    await sleep(0); // a WeakRef keeps its target alive until the job that made it ends
    collectGarbage();
    expect(ref.deref()).toBeUndefined();
  });
});
