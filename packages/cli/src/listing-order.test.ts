import { describe, expect, it } from "vitest";
import { compareNames, compareTagKeys, tagKey } from "./listing-order.js";

const sortTags = (tags: string[]) =>
  tags
    .map(tagKey)
    .sort(compareTagKeys)
    .map((k) => k.tag);

describe("tag order", () => {
  it.each([
    [
      ["latest", "v1.10.0", "v1.2.0", "v1.9"],
      ["v1.2.0", "v1.9", "v1.10.0", "latest"],
    ],
    [
      ["1.0.0", "1.0.0-rc.1", "1.0.0-beta.11", "1.0.0-beta.2", "1.0.0-alpha"],
      ["1.0.0-alpha", "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0"],
    ],
    [
      ["build-10", "build-9", "main", "build-100"],
      ["build-9", "build-10", "build-100", "main"],
    ],
    // A short form and its full form are the same version: the name decides, so the order is fixed.
    [
      ["v1.2.0", "1.2", "1.2.0"],
      ["1.2", "1.2.0", "v1.2.0"],
    ],
    [
      ["sha256-abc.sig", "2", "10", "v3"],
      ["2", "v3", "10", "sha256-abc.sig"],
    ],
  ])("%j sorts as %j", (tags, expected) => {
    expect(sortTags(tags)).toEqual(expected);
    expect(sortTags([...tags].reverse())).toEqual(expected);
  });

  it("repository names in natural order, ties broken by code unit", () => {
    expect(["team/app10", "team/app2", "Team/app1", "team/app1"].sort(compareNames)).toEqual([
      "team/app1",
      "Team/app1",
      "team/app2",
      "team/app10",
    ]);
  });
});
