import { describe, expect, it } from "vitest";
import type { Inventory, MultipartUploadInfo } from "../model/inventory.js";
import type { PlanAction, PlanRequest } from "../model/plan.js";
import { fixtureInventory } from "../retention/inventory-fixture.js";
import { planDeletion } from "./plan-deletion.js";
import { parsePlanJson, planJsonChunks } from "./plan-json.js";
import { actionPath } from "./plan-paths.js";

const HOUR = 3_600_000;
const NOW = 1_000 * HOUR;

/**
 * An inventory as an object store gives it: `app` with one `_uploads` folder (`folder`, started 30 h ago)
 * and multipart uploads of its own age each: `old` (30 h, its folder there), `young` (2 h), `orphan` (30 h,
 * its `_uploads/<uuid>/` keys gone) and one of a repository that is gone altogether.
 */
function inventory(
  multipart: Array<Partial<MultipartUploadInfo> & { upload: string; ageMs: number }>,
): Inventory {
  const inv = fixtureInventory({ app: { tags: [["latest", "img"]] } }, NOW);
  const app = inv.repositories[0];
  if (!app) throw new Error("no app");
  app.uploads = [{ id: "old", startedAtMs: NOW - 30 * HOUR, bytes: 5 }];
  inv.multipartUploads = multipart.map(({ ageMs, ...m }) => ({
    repository: "app",
    uploadId: `id-${m.upload}`,
    initiatedAtMs: NOW - ageMs,
    ...m,
  }));
  return inv;
}

const standard = () =>
  inventory([
    { upload: "old", ageMs: 30 * HOUR },
    { upload: "young", ageMs: 2 * HOUR },
    { upload: "orphan", ageMs: 30 * HOUR },
    { upload: "gone-repo-upload", repository: "gone/repo", ageMs: 48 * HOUR },
  ]);

const aborts = (actions: PlanAction[]) =>
  actions.flatMap((a) => (a.type === "multipart-upload" ? [`${a.repository} ${a.upload} ${a.reason}`] : []));

const gc: PlanRequest[] = [{ kind: "gc", deleteUntagged: false }];

describe("aborting stale multipart uploads", () => {
  it("gc aborts those older than the upload age, with their _uploads folder or without, and keeps young ones with a note", () => {
    const plan = planDeletion(standard(), gc);
    expect(aborts(plan.actions)).toEqual([
      "app old stale multipart upload",
      "app orphan stale multipart upload (its _uploads folder is gone)",
      "gone/repo gone-repo-upload stale multipart upload (its _uploads folder is gone)",
    ]);
    expect(plan.summary.multipartUploads).toBe(3);
    expect(plan.summary.uploads).toBe(1);
    expect(plan.kept).toEqual([
      expect.objectContaining({ repository: "app", upload: "young", code: "kept.young-upload" }),
    ]);
    // After the folder's own upload action, before the blobs: the uploads' phase, then the parts.
    const types = plan.actions.map((a) => a.type);
    expect(types.indexOf("multipart-upload")).toBe(types.indexOf("upload") + 1);
  });

  it("--upload-age decides which are old", () => {
    const plan = planDeletion(standard(), gc, { uploadMaxAgeMs: 40 * HOUR });
    expect(aborts(plan.actions)).toEqual([
      "gone/repo gone-repo-upload stale multipart upload (its _uploads folder is gone)",
    ]);
    expect(plan.kept.map((k) => k.upload)).toEqual(["old", "young", "orphan"]);
    const all = planDeletion(standard(), gc, { uploadMaxAgeMs: HOUR, graceMs: HOUR });
    expect(aborts(all.actions)).toHaveLength(4);
    expect(all.kept).toEqual([]);
  });

  it("an upload whose folder the plan deletes goes with it, however young its parts", () => {
    const plan = planDeletion(inventory([{ upload: "old", ageMs: 2 * HOUR }]), gc);
    expect(aborts(plan.actions)).toEqual(["app old its upload folder is deleted"]);
  });

  it("deleting a repository aborts its uploads past the grace period only; other requests abort none", () => {
    const plan = planDeletion(standard(), [{ kind: "delete-repository", repository: "app" }]);
    expect(aborts(plan.actions)).toEqual([
      "app old its repository is deleted",
      "app young its repository is deleted",
      "app orphan its repository is deleted",
    ]);
    expect(
      planDeletion(standard(), [{ kind: "delete-tag", repository: "app", tag: "latest" }]).actions.filter(
        (a) => a.type === "multipart-upload",
      ),
    ).toEqual([]);
    expect(aborts(planDeletion(standard(), [{ kind: "delete-untagged" }]).actions)).toEqual([]);
  });

  it("a store without multipart uploads plans none", () => {
    const inv = standard();
    delete inv.multipartUploads;
    const plan = planDeletion(inv, gc);
    expect(aborts(plan.actions)).toEqual([]);
    expect(plan.summary.multipartUploads).toBeUndefined();
  });

  it("a saved plan keeps each abort's upload id and path, and refuses an edited one", () => {
    const plan = planDeletion(standard(), gc);
    const text = [...planJsonChunks(plan)].join("");
    const back = parsePlanJson(text);
    const abort = back.actions.find((a) => a.type === "multipart-upload");
    expect(abort).toEqual({
      type: "multipart-upload",
      repository: "app",
      upload: "old",
      uploadId: "id-old",
      reason: "stale multipart upload",
    });
    expect(actionPath(abort as PlanAction)).toBe("docker/registry/v2/repositories/app/_uploads/old/data");
    expect(() => parsePlanJson(text.replace('"uploadId":"id-old"', '"uploadId":""'))).toThrow(/uploadId/);
  });
});
