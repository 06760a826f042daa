import type { Plan } from "@regsweep/cleaner";
import { describe, expect, it } from "vitest";
import { planLines } from "./render-plan.js";

const D = `sha256:${"a".repeat(64)}` as const;
const plan = {
  actions: [
    { type: "tag", repository: "app", tag: "old", current: D, history: [D], reason: "requested" },
    {
      type: "revision",
      repository: "app",
      digest: D,
      reason: "tag 'old' is deleted",
      stage: 2,
    },
    { type: "blob", digest: D, bytes: 2000, reason: "nothing left references it" },
    { type: "prune", path: "docker/registry/v2/blobs/sha256/aa", reason: "emptied by this plan" },
  ],
} as Pick<Plan, "actions"> as Plan;

describe("planLines", () => {
  it("offline lists every deletion in apply order and sums up folder removals", () => {
    const lines = [...planLines(plan)];
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/^delete tag {7}app:old/);
    expect(lines[2]).toMatch(/^delete blob/);
    expect(lines[3]).toBe("remove up to 1 folders left empty");
  });

  it("online lists only what the API deletes and leaves blob data to a garbage collection", () => {
    const lines = [...planLines(plan, { online: true })];
    expect(lines).toHaveLength(3);
    expect(lines.some((l) => l.startsWith("delete blob") || l.includes("folders"))).toBe(false);
    expect(lines[2]).toBe("then a garbage collection can free 1 blobs (2 kB)");
  });
});
