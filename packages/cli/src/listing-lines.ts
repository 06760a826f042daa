import { InvalidRequestError } from "@regsweep/cleaner";

/**
 * Listings as operators read them elsewhere (`docker images`, `kubectl get`): plain columns, one header,
 * no borders; or tab-separated for `awk` and `cut`. Made a line at a time for `CliIo.outLines`, so a
 * 50k-row listing is never one string. Table libraries were no fit: each returns the whole table as one
 * string, and cli-table3's layout checks every cell against every row above it for row spans (O(rows²):
 * 25k rows took 228 s of CPU, boxed, with a rule between rows).
 */

/** One column of a listing. */
export interface Column<T> {
  /** Heading in the table (upper case, as docker and kubectl do). */
  header: string;
  /** Heading in tsv: the field's name, as in `--json`. */
  key: string;
  /** The cell as a person reads it (sizes in units, digests shortened unless --no-trunc). */
  text(row: T): string;
  /** The field in tsv, whole and exact (bytes, full digests, ISO times); `text` when absent. */
  value?(row: T): string;
}

/** The formats every listing prints in. */
export type ListingFormat = "table" | "tsv";

/** `--format` (and `--json`) as one of the formats every listing has. */
export function listingFormat(options: { json?: boolean; format?: string }): ListingFormat | "json" {
  if (options.json) return "json";
  const format = options.format ?? "table";
  if (format === "table" || format === "tsv" || format === "json") return format;
  throw new InvalidRequestError(`--format must be table, tsv or json, not '${format}'`);
}

/** Between two columns of the table, as `kubectl get` has it. */
const GAP = "   ";

/**
 * The listing's lines. `rows` is iterated twice for a table (once for the column widths, once to write:
 * the rows are in memory already, their lines never are all at once), once for tsv.
 */
export function* listingLines<T>(
  rows: Iterable<T>,
  columns: ReadonlyArray<Column<T>>,
  options: { format: ListingFormat; headers?: boolean },
): Generator<string> {
  const headers = options.headers ?? true;
  if (options.format === "tsv") {
    if (headers) yield columns.map((c) => c.key).join("\t");
    for (const row of rows) yield columns.map((c) => tsvField((c.value ?? c.text)(row))).join("\t");
    return;
  }
  const widths = columns.map((c) => (headers ? c.header.length : 0));
  for (const row of rows) {
    for (let i = 0; i < columns.length; i++) {
      const width = (columns[i] as Column<T>).text(row).length;
      if (width > (widths[i] as number)) widths[i] = width;
    }
  }
  const line = (cells: string[]) => {
    let text = "";
    for (let i = 0; i < cells.length - 1; i++) text += (cells[i] as string).padEnd(widths[i] as number) + GAP;
    return (text + (cells.at(-1) ?? "")).trimEnd();
  };
  if (headers) yield line(columns.map((c) => c.header));
  for (const row of rows) yield line(columns.map((c) => c.text(row)));
}

/** A tsv field never holds a tab or a line break (names cannot; a reason might). */
function tsvField(text: string): string {
  return /[\t\n\r]/.test(text) ? text.replace(/[\t\n\r]+/g, " ") : text;
}

/** `JSON.stringify(rows, null, 2)`, the same bytes, a row at a time. */
export function* jsonArrayLines(rows: Iterable<unknown>): Generator<string> {
  let previous: string | undefined;
  for (const row of rows) {
    if (previous === undefined) yield "[";
    else yield `${previous},`;
    previous = `  ${JSON.stringify(row, null, 2).replaceAll("\n", "\n  ")}`;
  }
  if (previous === undefined) yield "[]";
  else yield* [previous, "]"];
}

/** A digest as listings show it: 12 hex characters (as `docker images` shows image IDs), unless asked whole. */
export function shortDigest(digest: string, noTrunc = false): string {
  if (noTrunc) return digest;
  const hex = digest.indexOf(":");
  return digest.slice(hex + 1, hex + 13);
}
