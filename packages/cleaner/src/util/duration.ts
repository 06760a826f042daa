import ms from "ms";
import { InvalidRequestError } from "../model/errors.js";

/** Parses a duration such as `0`, `90s`, `12h`, `30d` or `2w` into milliseconds; rejects negatives and nonsense. */
export function parseDuration(text: string): number {
  const trimmed = text.trim();
  let value: number | undefined;
  try {
    value = /^\d+$/.test(trimmed) ? Number(trimmed) * 1000 : ms(trimmed as ms.StringValue);
  } catch {
    value = undefined; // ms throws on an empty string
  }
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
    throw new InvalidRequestError(
      `invalid duration '${text}': use a number with a unit, e.g. 0, 90s, 30m, 12h, 30d`,
    );
  }
  return value;
}
