import { describe, expect, test } from "vitest";
import { findRegistryVersion, registryVersions } from "./registry-versions.js";

describe("the version table", () => {
  test("lists each version once, oldest first", () => {
    const versions = registryVersions.map((v) => v.version);
    expect(new Set(versions).size).toBe(versions.length);
    const key = (v: string) =>
      v
        .split(".")
        .map((p) => p.padStart(4, "0"))
        .join(".");
    expect([...versions].sort((a, b) => key(a).localeCompare(key(b)))).toEqual(versions);
  });

  test.each(registryVersions.map((v) => [v.version, v] as const))("%s is consistent", (_name, v) => {
    // Only a registry that deletes tags can refuse to; only the store-paged list has tags.maxtags.
    if (!v.deleteByTag) expect(v.tagDeleteNeedsDeleteEnabled).toBe(false);
    expect(v.tagsOverMaxTags === "unlimited").toBe(v.tagsPagination !== "store");
    expect(v.accepts.length).toBeGreaterThan(0);
  });

  test.each([
    // v3.1.1 registry/handlers/manifests.go DeleteManifest checks deleteEnabled before the tag branch.
    { version: "3.0.0", needsDelete: false, pagination: "slice", overMax: "unlimited" },
    { version: "3.1.0", needsDelete: false, pagination: "store", overMax: "rejected" },
    { version: "3.1.1", needsDelete: true, pagination: "store", overMax: "clamped" },
    { version: "2.8.3", needsDelete: false, pagination: "none", overMax: "unlimited" },
  ])("$version: tag delete needs delete enabled $needsDelete, tags list $pagination", (row) => {
    const v = findRegistryVersion(row.version);
    expect(v.tagDeleteNeedsDeleteEnabled).toBe(row.needsDelete);
    expect(v.tagsPagination).toBe(row.pagination);
    expect(v.tagsOverMaxTags).toBe(row.overMax);
  });

  test("3.x takes no schema1", () => {
    for (const v of registryVersions.filter((v) => v.version.startsWith("3.")))
      expect(v.accepts).not.toContain("schema1");
  });
});
