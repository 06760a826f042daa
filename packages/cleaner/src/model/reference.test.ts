import { describe, expect, it } from "vitest";
import { InvalidReferenceError } from "./errors.js";
import { parseReference } from "./reference.js";

const D = `sha256:${"a".repeat(64)}`;

describe("parseReference", () => {
  it.each([
    ["test/a", { repository: "test/a" }],
    ["test/c:1", { repository: "test/c", tag: "1" }],
    ["a", { repository: "a" }],
    ["my-org/sub__x/app.v2:v1.2.3-rc.1", { repository: "my-org/sub__x/app.v2", tag: "v1.2.3-rc.1" }],
    [`test/a@${D}`, { repository: "test/a", digest: D }],
    [`test/a:latest@${D}`, { repository: "test/a", tag: "latest", digest: D }],
    ["a--b/c:_x", { repository: "a--b/c", tag: "_x" }],
  ])("accepts %s", (text, expected) => {
    expect(parseReference(text)).toEqual(expected);
  });

  it.each([
    "",
    "../../etc",
    "test/../etc",
    "/abs/path",
    "test//a",
    "test/a/",
    "Test/a",
    "./a",
    "a/.",
    "test/a:",
    "test/a:.hidden",
    "test/a:-x",
    `test/a:${"t".repeat(129)}`,
    "test/a@sha256:abc",
    `test/a@md5:${"a".repeat(32)}`,
    `test/a@sha256:${"A".repeat(64)}`,
    "127.0.0.1:5000/test/a",
    "a_-b",
    "-a",
    "a.",
    "a b",
    `${"a/".repeat(128)}a`,
  ])("rejects %j", (text) => {
    expect(() => parseReference(text)).toThrow(InvalidReferenceError);
  });
});
