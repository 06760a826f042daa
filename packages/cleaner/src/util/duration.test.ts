import { describe, expect, it } from "vitest";
import { InvalidRequestError } from "../model/errors.js";
import { parseDuration } from "./duration.js";

describe("parseDuration", () => {
  it.each([
    ["0", 0],
    ["90", 90_000],
    ["90s", 90_000],
    ["30m", 1_800_000],
    ["1h", 3_600_000],
    ["30d", 30 * 86_400_000],
    ["2w", 14 * 86_400_000],
  ])("%s", (text, expected) => expect(parseDuration(text)).toBe(expected));
  it.each(["", "soon", "-1h", "1 fortnight"])("rejects %j", (text) =>
    expect(() => parseDuration(text)).toThrow(InvalidRequestError),
  );
});
