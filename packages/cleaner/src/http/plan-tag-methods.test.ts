import { image, index, layer } from "@regsweep/testbed";
import { describe, expect, it } from "vitest";
import type { Digest } from "../model/digest.js";
import type { Inventory } from "../model/inventory.js";
import { parseManifest } from "../model/manifest.js";
import type { PlanRequest } from "../model/plan.js";
import { planDeletion } from "../plan/plan-deletion.js";
import { planTagMethods } from "./plan-tag-methods.js";
import { capabilitiesFrom, type RegistryCapabilities } from "./probe-registry.js";

const v = (apiVersion: string, tagDeleteStatus: number, headStatus: number, enabled = true) =>
  capabilitiesFrom({
    apiVersion,
    digestDelete: enabled ? "enabled" : "disabled",
    tagDeleteStatus,
    headStatus,
  });
const V3 = v("3.x", 404, 404);
const V28 = v("2.8", 400, 404);
const V22 = v("2.2", 400, 405);

describe("capabilitiesFrom: what the probe's answers say", () => {
  it.each([
    ["3.x", V3, "tag-delete", true, true],
    ["2.3–2.8", V28, "placeholder", true, true],
    ["2.2", V22, "none", false, false],
    ["2.x, deletes disabled", v("2.8", 405, 404, false), "none", true, true],
    ["3.0, deletes disabled (tag delete still works)", v("3.0", 404, 404, false), "tag-delete", true, true],
    ["3.1.1, deletes disabled (tag delete refused)", v("3.1.1", 405, 404, false), "none", true, true],
  ] as const)("%s", (_, caps, tagOnly, head, untags) => {
    expect(caps.tagOnlyDelete).toBe(tagOnly);
    expect(caps.headManifest).toBe(head);
    expect(caps.untagsOnDigestDelete).toBe(untags);
  });
  it("a 405 on the tag DELETE is reported as refused", () => {
    expect(v("3.1.1", 405, 404, false).tagDeleteRefused).toBe(true);
    expect(V3.tagDeleteRefused).toBe(false);
  });
});

/** An online-like inventory (no times) from repositories of tag → manifest. */
function inventoryOf(repos: Record<string, Record<string, ReturnType<typeof image>>>): Inventory {
  const manifests = new Map();
  const blobs = new Map();
  const add = (m: ReturnType<typeof image>, revs: Set<Digest>) => {
    revs.add(m.digest as Digest);
    manifests.set(m.digest, parseManifest(m.bytes));
    blobs.set(m.digest, { size: m.bytes.length, modifiedAtMs: 0 });
    for (const b of m.blobs) blobs.set(b.digest, { size: b.size, modifiedAtMs: 0 });
    for (const c of m.children) add(c, revs);
  };
  return {
    backend: "http",
    source: "http://127.0.0.1:1",
    readAtMs: 0,
    blobs,
    manifests,
    findings: [],
    emptyDirs: [],
    repositories: Object.entries(repos).map(([name, tags]) => {
      const revs = new Set<Digest>();
      const layers = new Set<Digest>();
      for (const m of Object.values(tags)) add(m, revs);
      for (const d of revs) for (const b of (manifests.get(d) as { blobs: Digest[] }).blobs) layers.add(b);
      return {
        name,
        tags: Object.entries(tags).map(([t, m]) => ({
          name: t,
          current: m.digest as Digest,
          index: [m.digest as Digest],
        })),
        revisions: [...revs].map((digest) => ({ digest, linkedAtMs: 0, signatures: [] })),
        layers: [...layers].map((digest) => ({ digest, linkedAtMs: 0 })),
        uploads: [],
      };
    }),
  };
}

const one = image({ layers: [layer("one")] });
const two = image({ layers: [layer("two")] });
const amd = image({
  layers: [layer("amd")],
  format: "oci",
  platform: { os: "linux", architecture: "amd64" },
});
const arm = image({
  layers: [layer("arm")],
  format: "oci",
  platform: { os: "linux", architecture: "arm64" },
});
const multi = index([amd, arm]);
const inv = inventoryOf({
  app: { latest: one, "v1.3.0": one, "v1.2.0": two, a: two, b: two },
  multi: { latest: multi, "amd-only": amd },
  other: { copy: two },
});

function methods(requests: PlanRequest[], caps: RegistryCapabilities, cascadeTags = false) {
  const plan = planTagMethods(planDeletion(inv, requests, { graceMs: 0 }), caps, { cascadeTags });
  return Object.fromEntries(
    plan.actions.flatMap((a) =>
      a.type === "tag" ? [[`${a.repository}:${a.tag}`, a.method ?? `blocked: ${a.blocked}`]] : [],
    ),
  );
}
const tag = (repository: string, t: string): PlanRequest => ({ kind: "delete-tag", repository, tag: t });

describe("planTagMethods: how the API deletes each tag", () => {
  it("3.x deletes every tag by name", () => {
    expect(methods([tag("app", "latest")], V3)).toEqual({ "app:latest": "tag-delete" });
  });
  it("2.3–2.8: an alias (latest + vX) goes alone through a placeholder", () => {
    expect(methods([tag("app", "latest")], V28)).toEqual({ "app:latest": "placeholder" });
  });
  it("2.3–2.8: one of three tags on one digest goes alone; all three go by digest with the manifest", () => {
    expect(methods([tag("app", "a")], V28)).toEqual({ "app:a": "placeholder" });
    expect(methods([tag("app", "a"), tag("app", "b"), tag("app", "v1.2.0")], V28)).toEqual({
      "app:a": "digest",
      "app:b": "digest",
      "app:v1.2.0": "digest",
    });
  });
  it("2.3–2.8: a tag on a child of a kept index goes alone, even with --cascade-tags", () => {
    expect(methods([tag("multi", "amd-only")], V28, true)).toEqual({ "multi:amd-only": "placeholder" });
  });
  it("2.3–2.8: a multi-arch index tag goes by digest with its index (nothing else names it)", () => {
    expect(methods([tag("multi", "latest")], V28)).toEqual({ "multi:latest": "digest" });
  });
  it("--cascade-tags deletes by digest and names the kept tags that go with it", () => {
    const plan = planTagMethods(planDeletion(inv, [tag("app", "latest")], { graceMs: 0 }), V28, {
      cascadeTags: true,
    });
    expect(plan.actions.find((a) => a.type === "tag")).toMatchObject({
      method: "digest",
      cascades: ["v1.3.0"],
    });
    expect(plan.registry).toEqual(V28);
  });
  it("2.2: a tag whose manifest the plan deletes goes by digest (and dangles); one whose digest is kept is blocked", () => {
    expect(methods([tag("app", "v1.2.0"), tag("app", "a"), tag("app", "b")], V22)["app:a"]).toBe("digest");
    expect(methods([tag("app", "latest")], V22)["app:latest"]).toMatch(/^blocked: registry 2\.2 .*v1\.3\.0/);
  });
});
