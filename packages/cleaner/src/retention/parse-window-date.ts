import { InvalidRequestError } from "../model/errors.js";

const DATE = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/;

/**
 * Parses a window bound such as `2016-06-25T12:00:00` (the seed's `-b/-a` format) or `2016-06-25`, in ms.
 * Without a zone it is UTC, like the config `created` times it is compared with.
 */
export function parseWindowDate(text: string): number {
  const trimmed = text.trim();
  const m = DATE.exec(trimmed);
  const withZone = m && !m[4] ? `${trimmed.replace(" ", "T")}${m[1] ? "" : "T00:00:00"}Z` : trimmed;
  const ms = m ? Date.parse(withZone) : Number.NaN;
  if (!Number.isFinite(ms))
    throw new InvalidRequestError(
      `invalid date '${text}': use YYYY-MM-DD or YYYY-MM-DDTHH:mm:ss (UTC unless a zone is given)`,
    );
  return ms;
}
