import { Writable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { writeLines } from "./cli-io.js";

/** A reader that takes 16 KiB at a time, slowly; counts what it was given. */
function slowReader() {
  const state = { taken: 0, text: "" };
  const out = new Writable({
    highWaterMark: 16 * 1024,
    write(chunk: Buffer, _encoding, callback) {
      state.taken += chunk.length;
      state.text += chunk.toString();
      setTimeout(callback, 1);
    },
  });
  return { out, state };
}

describe("writeLines", () => {
  it("takes lines only as fast as the reader does, and writes all of them in order", async () => {
    const { out, state } = slowReader();
    let produced = 0;
    let furthestAhead = 0;
    function* lines() {
      for (let i = 0; i < 20_000; i++) {
        const line = `line ${i} ${"x".repeat(40)}`;
        produced += line.length + 1;
        furthestAhead = Math.max(furthestAhead, produced - state.taken);
        yield line;
      }
    }
    await writeLines(out, lines());
    await new Promise<void>((resolve) => out.end(resolve));
    expect(state.text.split("\n").slice(0, 3)).toEqual([
      `line 0 ${"x".repeat(40)}`,
      `line 1 ${"x".repeat(40)}`,
      `line 2 ${"x".repeat(40)}`,
    ]);
    expect(state.text.split("\n")).toHaveLength(20_001);
    // ~1 MB in all; never more than a batch and the reader's buffer ahead of it.
    expect(furthestAhead).toBeLessThan(3 * 64 * 1024);
  });

  it("stops when the reader is gone", async () => {
    const { out, state } = slowReader();
    let produced = 0;
    function* lines() {
      for (let i = 0; i < 100_000; i++) {
        produced++;
        if (i === 2_000) out.destroy();
        yield `line ${i} ${"x".repeat(40)}`;
      }
    }
    await writeLines(out, lines());
    await sleep(5);
    expect(produced).toBeLessThan(100_000);
    expect(state.taken).toBeLessThan(200 * 1024);
  });
});
