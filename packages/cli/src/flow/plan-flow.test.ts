import type { PlanAction, SkippedAction } from "@regsweep/cleaner";
import { describe, expect, it } from "vitest";
import { ExitCode, exitCodeFor, hintFor } from "../exit-codes.js";
import { exitForSkips } from "./plan-flow.js";

const action: PlanAction = {
  type: "blob",
  digest: `sha256:${"a".repeat(64)}`,
  bytes: 1,
  reason: "unreferenced",
};
const changed: SkippedAction = {
  index: 0,
  action,
  why: "a repository links it again",
  code: "blob.relinked",
};
const repeats: SkippedAction = {
  index: 1,
  action,
  why: "kept: a signature link names it",
  code: "blob.linked-unread",
  fix: { path: "docker/registry/v2/repositories/app/_manifests/revisions/sha256/55", what: "remove it" },
};

describe("the exit code of an apply with skips", () => {
  it("is 0 with none, 5 when a re-run can get further (even beside a repeating skip)", () => {
    expect(exitForSkips({ skipped: [] })).toBe(ExitCode.ok);
    expect(exitForSkips({ skipped: [changed] })).toBe(ExitCode.partial);
    expect(exitForSkips({ skipped: [changed, repeats] })).toBe(ExitCode.partial);
  });

  it("is the precondition one when every skip would repeat, naming each path once, with a hint", () => {
    let error: unknown;
    try {
      exitForSkips({ skipped: [repeats, { ...repeats, index: 2 }] });
    } catch (e) {
      error = e;
    }
    expect((error as { code?: string }).code).toBe("plan.blocked");
    expect(exitCodeFor(error)).toBe(ExitCode.precondition);
    expect((error as Error).message.match(/revisions\/sha256\/55/g)).toHaveLength(1);
    expect(hintFor(error)).toContain("fix the entries named above");
  });
});
