import { describe, expect, it } from "vitest";
import { type Column, jsonArrayLines, listingFormat, listingLines, shortDigest } from "./listing-lines.js";

interface Row {
  name: string;
  size: number;
  note: string;
}
const rows: Row[] = [
  { name: "a", size: 1, note: "short" },
  { name: "a-much-longer-name", size: 123456, note: "" },
  { name: "b", size: 22, note: "tab\there" },
];
const columns: Array<Column<Row>> = [
  { header: "NAME", key: "name", text: (r) => r.name },
  { header: "SIZE", key: "size", text: (r) => `${r.size} B`, value: (r) => String(r.size) },
  { header: "NOTE", key: "note", text: (r) => r.note },
];

describe("listingLines", () => {
  it("table: one header, columns as wide as their widest cell or header, three spaces apart, no borders", () => {
    expect([...listingLines(rows, columns, { format: "table" })]).toEqual([
      "NAME                 SIZE       NOTE",
      "a                    1 B        short",
      "a-much-longer-name   123456 B",
      "b                    22 B       tab\there",
    ]);
  });

  it("table without headers: widths from the cells alone", () => {
    expect([...listingLines(rows.slice(0, 1), columns, { format: "table", headers: false })]).toEqual([
      "a   1 B   short",
    ]);
  });

  it("tsv: field names as the header, raw values, never a tab inside a field", () => {
    expect([...listingLines(rows, columns, { format: "tsv" })]).toEqual([
      "name\tsize\tnote",
      "a\t1\tshort",
      "a-much-longer-name\t123456\t",
      "b\t22\ttab here",
    ]);
    expect([...listingLines(rows, columns, { format: "tsv", headers: false })]).toHaveLength(3);
  });

  it("makes lines lazily: the first line comes before the last row is formatted", () => {
    let formatted = 0;
    const counting: Array<Column<Row>> = [
      {
        header: "NAME",
        key: "name",
        text: (r) => {
          formatted++;
          return r.name;
        },
      },
    ];
    const lines = listingLines(rows, counting, { format: "tsv" });
    lines.next();
    lines.next();
    expect(formatted).toBe(1);
  });
});

describe("jsonArrayLines", () => {
  it.each([[[]], [[{ a: 1 }]], [[{ a: 1, b: [1, 2] }, { a: null }, { c: { d: "x" } }]]])(
    "the same bytes as JSON.stringify(rows, null, 2): %j",
    (value) => {
      expect([...jsonArrayLines(value)].join("\n")).toBe(JSON.stringify(value, null, 2));
    },
  );
});

describe("shortDigest / listingFormat", () => {
  it("shortens a digest to 12 hex characters unless asked not to", () => {
    const d = `sha256:0123456789abcdef${"0".repeat(48)}`;
    expect(shortDigest(d)).toBe("0123456789ab");
    expect(shortDigest(d, true)).toBe(d);
  });

  it("takes --json as json, refuses an unknown --format", () => {
    expect(listingFormat({ json: true })).toBe("json");
    expect(listingFormat({})).toBe("table");
    expect(listingFormat({ format: "tsv" })).toBe("tsv");
    expect(() => listingFormat({ format: "csv" })).toThrow(/--format must be table, tsv or json/);
  });
});
