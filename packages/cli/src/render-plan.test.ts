import { stripVTControlCharacters } from "node:util";
import type { ApplyReport, Plan } from "@regsweep/cleaner";
import { describe, expect, it } from "vitest";
import { planLines, planNotes, planSummary, reportLines } from "./render-plan.js";

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
    { type: "upload", repository: "app", upload: "u-1", bytes: 12_000_000, reason: "older than 24h" },
    { type: "prune", path: "docker/registry/v2/blobs/sha256/aa", reason: "emptied by this plan" },
  ],
} as Pick<Plan, "actions"> as Plan;

describe("multipart uploads", () => {
  const withAbort = {
    actions: [
      {
        type: "multipart-upload",
        repository: "app",
        upload: "u-2",
        uploadId: "x",
        reason: "stale multipart upload (its _uploads folder is gone)",
      },
    ],
    summary: {
      tags: 0,
      manifests: 0,
      layerLinks: 0,
      uploads: 0,
      multipartUploads: 1,
      blobs: 0,
      bytesFreed: 0,
      repositoriesRemoved: [],
    },
    kept: [{ repository: "app", upload: "u-3", code: "kept.young-upload", reason: "young" }],
    findings: [],
  } as Partial<Plan> as Plan;

  it("an abort is a line, counted in the summary; young ones are a note; the report counts what was aborted", () => {
    expect([...planLines(withAbort)]).toEqual([
      "ACTION            REPOSITORY   TAG   DIGEST   SIZE   REASON",
      "abort multipart   app          -     u-2      -      stale multipart upload (its _uploads folder is gone)",
    ]);
    expect(stripVTControlCharacters(planSummary(withAbort, true))).toBe(
      "regsweep would delete 0 tags, 0 manifests, 0 layer links, 0 blobs, 1 multipart upload (aborted) — 0 B freed",
    );
    expect(planNotes(withAbort, false)).toEqual([
      "kept 1 multipart upload younger than the upload age (--upload-age)",
    ]);
    const report: ApplyReport = {
      done: 1,
      alreadyGone: 0,
      skipped: [],
      staleRepositories: [],
      changes: [],
      bytesFreed: 0,
      multipartUploadsAborted: 1,
    };
    expect(reportLines(report)).toEqual(["done: 1 actions, 0 B freed, 1 multipart upload aborted"]);
  });
});

describe("planLines", () => {
  it("offline: one header, aligned columns, every deletion in apply order, folder removals summed up", () => {
    expect([...planLines(plan)]).toEqual([
      "ACTION            REPOSITORY   TAG   DIGEST         SIZE    REASON",
      "delete tag        app          old   aaaaaaaaaaaa   -       requested",
      "delete manifest   app          -     aaaaaaaaaaaa   -       tag 'old' is deleted",
      "delete blob       -            -     aaaaaaaaaaaa   2 kB    nothing left references it",
      "delete upload     app          -     u-1            12 MB   older than 24h",
      "remove up to 1 folders left empty",
    ]);
  });

  it("--no-trunc: whole digests", () => {
    expect([...planLines(plan, { noTrunc: true })][1]).toBe(
      `delete tag        app          old   ${D}   -       requested`,
    );
  });

  it("online lists only what the API deletes and leaves blob data to a garbage collection", () => {
    expect([...planLines(plan, { online: true })]).toEqual([
      "ACTION            REPOSITORY   TAG   DIGEST         SIZE   REASON",
      "delete tag        app          old   aaaaaaaaaaaa   -      requested",
      "delete manifest   app          -     aaaaaaaaaaaa   -      tag 'old' is deleted",
      "then a garbage collection can free 1 blobs (2 kB)",
    ]);
  });

  it("an empty plan has no header", () => {
    expect([...planLines({ actions: [] } as Pick<Plan, "actions"> as Plan)]).toEqual([]);
  });
});

describe("reportLines", () => {
  it("names what changed in each skipped repository, so the operator knows a re-run will help", () => {
    const report: ApplyReport = {
      done: 3,
      alreadyGone: 0,
      skipped: [],
      staleRepositories: ["app", "web"],
      changes: [
        { repository: "app", code: "tag.moved", tag: "latest", digest: D },
        { repository: "web", code: "revision.pushed", digest: D },
      ],
      bytesFreed: 0,
    };
    const lines = reportLines(report).map((l) => stripVTControlCharacters(l));
    expect(lines.slice(1)).toEqual([
      `skipped repository app: tag 'latest' moved to ${D} since the plan was made (re-run to plan again)`,
      `skipped repository web: a manifest was pushed since the plan was made (${D}) (re-run to plan again)`,
    ]);
  });
});
