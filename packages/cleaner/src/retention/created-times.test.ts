import { describe, expect, it } from "vitest";
import { configCreatedMs, newestKnown, schema1CreatedMs } from "./created-times.js";

const json = (value: unknown) => Buffer.from(JSON.stringify(value));

describe("configCreatedMs", () => {
  it.each([
    ["an RFC 3339 time", json({ created: "2020-01-01T00:00:00Z" }), Date.UTC(2020, 0, 1)],
    [
      "nanoseconds (Go's format)",
      json({ created: "2022-06-01T00:00:00.123456789Z" }),
      Date.parse("2022-06-01T00:00:00.123Z"),
    ],
    ["no created", json({ architecture: "amd64" }), undefined],
    ["created not a string", json({ created: 17 }), undefined],
    ["an unparseable time", json({ created: "yesterday-ish" }), undefined],
    ["not JSON", Buffer.from("\x1f\x8b binary"), undefined],
    ["JSON null", Buffer.from("null"), undefined],
  ])("%s", (_name, bytes, expected) => {
    expect(configCreatedMs(bytes)).toBe(expected);
  });
});

describe("schema1CreatedMs", () => {
  const manifest = (history: unknown) => json({ schemaVersion: 1, name: "a", tag: "1", history });
  it.each([
    [
      "the top (first) history entry",
      manifest([
        { v1Compatibility: JSON.stringify({ created: "2016-06-20T10:00:00Z" }) },
        { v1Compatibility: JSON.stringify({ created: "2015-01-01T00:00:00Z" }) },
      ]),
      Date.UTC(2016, 5, 20, 10),
    ],
    ["no history", manifest(undefined), undefined],
    ["empty history", manifest([]), undefined],
    ["v1Compatibility not JSON", manifest([{ v1Compatibility: "{" }]), undefined],
    ["v1Compatibility without created", manifest([{ v1Compatibility: "{}" }]), undefined],
  ])("%s", (_name, bytes, expected) => {
    expect(schema1CreatedMs(bytes)).toBe(expected);
  });
});

describe("newestKnown", () => {
  it.each([
    [[1, 3, 2], 3],
    [[undefined, 5, undefined], 5],
    [[undefined], undefined],
    [[], undefined],
  ])("%j → %s", (times, expected) => {
    expect(newestKnown(times)).toBe(expected);
  });
});
