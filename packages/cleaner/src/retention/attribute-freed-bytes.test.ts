import { describe, expect, it } from "vitest";
import { planDeletion } from "../plan/plan-deletion.js";
import { attributeFreedBytes } from "./attribute-freed-bytes.js";
import { fixtureInventory } from "./inventory-fixture.js";
import { planRetention } from "./plan-retention.js";

describe("attributeFreedBytes", () => {
  it("gives each deleted tag the bytes only it frees; kept tags get none", () => {
    // Fixture manifests are 10 bytes with a 100-byte config each; a and b share one manifest.
    const inv = fixtureInventory({
      app: {
        tags: [
          ["a", "shared", 1],
          ["b", "shared", 2],
          ["c", "own", 3],
          ["keep", "kept", 4],
        ],
      },
    });
    const rules = [
      {
        name: "r",
        repositories: { include: [], exclude: [] },
        tags: { include: [], exclude: [] },
        keep: [{ kind: "tags" as const, patterns: [{ glob: "keep" }] }],
      },
    ];
    const r = planRetention(inv, { rules }, { nowMs: 0 });
    const plan = planDeletion(inv, r.requests, { nowMs: 0 });
    const bytes = Object.fromEntries(
      attributeFreedBytes(r.decisions, plan, inv).map((d) => [d.tag, d.bytesFreed]),
    );
    expect(bytes).toEqual({ a: 110, b: 110, c: 110, keep: undefined });
  });
});
