import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { image, layer } from "@regsweep/testbed";
import { describe, expect, it } from "vitest";
import { PlanFileError } from "../model/errors.js";
import type { Plan } from "../model/plan.js";
import { readStorageInventory } from "../storage/read-storage-inventory.js";
import { useStorageTree } from "../test-support/storage-tree.js";
import { planDeletion } from "./plan-deletion.js";
import { parsePlanJson, planJsonChunks, readPlanFile, readPlanLines } from "./plan-json.js";
import { actionFiles, actionPath } from "./plan-paths.js";

const base = layer("base");
const v1 = image({ layers: [base, layer("v1")], salt: "1" });
const v2 = image({ layers: [base, layer("v2")], salt: "2" });
const v3 = image({ layers: [base, layer("v3")], salt: "3" });

/** A plan with every kind of file action: a tag with history, revisions, layer links, blobs, folders. */
async function samplePlan(): Promise<Plan> {
  const root = await useStorageTree({
    repositories: {
      "team/app": { tags: { latest: { current: v3, history: [v1, v2] }, old: v1 }, untagged: [v2] },
      other: { tags: { keep: v3 } },
    },
  });
  const inventory = await readStorageInventory(root);
  return planDeletion(inventory, [
    { kind: "delete-tag", repository: "team/app", tag: "latest" },
    { kind: "gc", deleteUntagged: true },
  ]);
}

const text = (plan: Plan, pretty = false) => [...planJsonChunks(plan, { pretty })].join("");

describe("plan JSON", () => {
  it("reads back what it wrote, compact and pretty, with every action's paths written out", async () => {
    const plan = await samplePlan();
    expect(new Set(plan.actions.map((a) => a.type))).toEqual(
      new Set(["tag", "revision", "layer-link", "blob", "prune"]),
    );
    for (const pretty of [false, true]) {
      const json = text(plan, pretty);
      expect(parsePlanJson(json)).toEqual(plan);
      const written = JSON.parse(json) as { actions: Array<{ path: string; files?: string[] }> };
      written.actions.forEach((a, i) => {
        const action = plan.actions[i] as Plan["actions"][number];
        expect(a.path).toBe(actionPath(action));
        if (action.type === "tag" || action.type === "revision") expect(a.files).toEqual(actionFiles(action));
      });
    }
    for (const piece of planJsonChunks(plan, { pretty: true })) expect(piece.endsWith("\n")).toBe(true);
    const tag = plan.actions.find((a) => a.type === "tag");
    // current/link, then index entries for v1, v2 and v3 (the index names the current digest too)
    expect(tag && actionFiles(tag)).toHaveLength(4);
  });

  it("writes an empty plan as valid JSON", async () => {
    const plan = { ...(await samplePlan()), actions: [] };
    for (const pretty of [false, true]) expect(parsePlanJson(text(plan, pretty))).toEqual(plan);
  });

  it("reads a plan written before actions named their history and signatures (files only)", async () => {
    const plan = await samplePlan();
    const doc = JSON.parse(text(plan));
    for (const a of doc.actions) delete a.history;
    expect(parsePlanJson(JSON.stringify(doc))).toEqual(plan);
  });

  it.each([
    [
      "a path edited to point elsewhere",
      (a: Record<string, unknown>) => (a.path = "docker/registry/v2/blobs/x"),
    ],
    ["a traversal in a repository name", (a: Record<string, unknown>) => (a.repository = "../../etc")],
    ["an uppercase repository name", (a: Record<string, unknown>) => (a.repository = "App")],
    ["a digest that is not one", (a: Record<string, unknown>) => (a.digest = "sha256:zz")],
    ["an unknown action type", (a: Record<string, unknown>) => (a.type = "format-disk")],
  ])("refuses %s, naming the action", async (_, edit) => {
    const doc = JSON.parse(text(await samplePlan()));
    const i = doc.actions.findIndex((a: { type: string }) => a.type === "layer-link");
    edit(doc.actions[i]);
    const parse = () => parsePlanJson(JSON.stringify(doc));
    expect(parse).toThrow(PlanFileError);
    expect(parse).toThrow(`action ${i}`);
  });

  it.each([
    "docker/registry/v2/repositories/../../../etc",
    "/etc",
    "docker/registry/v2",
    "docker/registry/v2/blobs//x",
  ])("refuses a prune of %s", async (path) => {
    const doc = JSON.parse(text(await samplePlan()));
    doc.actions.push({ type: "prune", path, reason: "empty folder" });
    expect(() => parsePlanJson(JSON.stringify(doc))).toThrow(PlanFileError);
  });

  it("refuses what is not a plan", () => {
    expect(() => parsePlanJson("{")).toThrow(PlanFileError);
    expect(() => parsePlanJson('{"format":"other"}')).toThrow(PlanFileError);
    expect(() =>
      parsePlanJson('{"format":"regsweep.plan/v1","actions":[],"snapshots":[{"name":"../x"}]}'),
    ).toThrow("snapshot 0");
  });

  describe("from a file", () => {
    const file = async (content: string) => {
      const path = join(await useStorageTree({ repositories: {} }), "plan.json");
      await writeFile(path, content);
      return path;
    };
    const reformatted = (json: string) => JSON.stringify(JSON.parse(json), null, 4);

    it("reads the same plan from every layout: a line per action, compact, reformatted, CRLF", async () => {
      const plan = await samplePlan();
      const pretty = text(plan, true);
      expect(pretty).toContain('\n  "actions": [\n    {"type":');
      for (const content of [pretty, text(plan), reformatted(pretty), pretty.replaceAll("\n", "\r\n")])
        expect(await readPlanFile(await file(content))).toEqual(plan);
      // Only the layout regsweep writes is read a line at a time; the others are read whole.
      expect(await readPlanLines(await file(pretty))).toEqual(plan);
      for (const content of [text(plan), reformatted(pretty)])
        expect(await readPlanLines(await file(content))).toBeUndefined();
      const empty = { ...plan, actions: [] };
      expect(await readPlanFile(await file(text(empty, true)))).toEqual(empty);
    });

    it("refuses an edited path, naming the action, in the line-per-action layout and read whole", async () => {
      const plan = await samplePlan();
      const i = plan.actions.findIndex((a) => a.type === "layer-link");
      const pretty = text(plan, true);
      const lines = pretty.split("\n");
      const at = lines.findIndex((l) => l.includes('"type":"layer-link"'));
      lines[at] = (lines[at] as string).replace(/"path":"[^"]*"/, '"path":"docker/registry/v2/blobs/x"');
      for (const content of [lines.join("\n"), reformatted(lines.join("\n"))]) {
        const read = readPlanFile(await file(content));
        await expect(read).rejects.toThrow(PlanFileError);
        await expect(readPlanFile(await file(content))).rejects.toThrow(`action ${i}`);
      }
    });

    it("reads a second `actions` after the line-per-action list as JSON does (the last one counts)", async () => {
      const plan = await samplePlan();
      const blob = plan.actions.find((a) => a.type === "blob");
      const pretty = text(plan, true).trimEnd();
      const duplicated = `${pretty.slice(0, -1)},\n  "actions": [${JSON.stringify(blob)}]\n}\n`;
      expect(await readPlanLines(await file(duplicated))).toBeUndefined();
      expect((await readPlanFile(await file(duplicated))).actions).toEqual([blob]);
    });

    it("refuses what is not a plan", async () => {
      await expect(readPlanFile(await file("{"))).rejects.toThrow(PlanFileError);
      await expect(
        readPlanFile(await file('{\n  "format": "other",\n  "actions": [\n  ]\n}\n')),
      ).rejects.toThrow("not a regsweep plan");
    });
  });
});
