import { registryVersions } from "@regsweep/testbed";
import { describe, expect, test } from "vitest";
import { siblingTagExpectation } from "./online-delete-on-a-running-registry.js";

describe("siblingTagExpectation reads what the API can do from the version table", () => {
  test.each(registryVersions.map((v) => [v.version, v] as const))("%s", (_name, version) => {
    const plain = siblingTagExpectation(version, false);
    const forced = siblingTagExpectation(version, true);
    if (version.deleteByTag) {
      // 3.x deletes the tag alone, forced or not.
      expect(plain).toEqual({ exit: 0, pulls: ["2"], gone: ["1"] });
      expect(forced).toEqual(plain);
    } else if (version.untagsOnDigestDelete && version.accepts.includes("schema2")) {
      // 2.3–2.8: the tag goes alone through a placeholder; --cascade-tags takes the sibling too.
      expect(plain).toEqual({ exit: 0, pulls: ["2"], gone: ["1"] });
      expect(forced).toEqual({ exit: 0, pulls: [], gone: ["1", "2"] });
    } else {
      // 2.2: no tag can go alone (a digest delete leaves tags dangling): skipped, both stay.
      expect(plain).toEqual({ exit: 5, pulls: ["1", "2"], gone: [] });
      expect(forced).toEqual(plain);
    }
  });
});
