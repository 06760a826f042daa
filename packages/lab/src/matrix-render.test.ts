import { describe, expect, test } from "vitest";
import { type MatrixReport, verdictOf } from "./matrix.js";
import { renderMatrixHtml, renderMatrixMarkdown, renderMatrixTable } from "./matrix-render.js";
import { summarizeCells } from "./matrix-summary.js";

const base = { version: "2.8.3", scenario: "s", durationMs: 1200, log: ["$ regsweep delete <x>"] };

describe("verdictOf", () => {
  test.each([
    { status: "pass", expected: false, verdict: "pass" },
    { status: "fail", expected: false, verdict: "FAIL" },
    { status: "fail", expected: true, verdict: "expected-difference" },
    { status: "pass", expected: true, verdict: "unexpected-pass" },
    { status: "skip", expected: false, verdict: "skip" },
  ] as const)("$status, listed: $expected → $verdict", ({ status, expected, verdict }) => {
    const difference = expected ? { scenario: "s", where: { version: "2.8.3" }, reason: "r" } : undefined;
    expect(verdictOf({ ...base, status }, difference)).toBe(verdict);
  });
});

const cells: MatrixReport["cells"] = [
  { ...base, status: "fail", verdict: "FAIL", error: "Error: boom <tag>" },
  { ...base, scenario: "t", status: "skip", verdict: "skip", error: "no <index> here" },
];
const report: MatrixReport = {
  runtime: "process",
  fixtureMode: "schema2",
  startedAt: "2026-01-01T00:00:00.000Z",
  durationMs: 5000,
  versions: ["2.8.3"],
  scenarios: [
    { name: "s", description: "d" },
    { name: "t", description: "e" },
  ],
  cells,
  summary: summarizeCells(["2.8.3"], cells),
  ok: false,
};

test("renderers show the cell, its timing and the escaped failure log", () => {
  expect(renderMatrixTable(report)).toMatch(/s\s+FAIL 1\.2s/);
  expect(renderMatrixMarkdown(report)).toContain("| s | FAIL (1.2s) |");
  const html = renderMatrixHtml(report);
  expect(html).toContain('<td class="FAIL">FAIL <small>1.2s</small><details>');
  expect(html).toContain("Error: boom &lt;tag&gt;");
  expect(html).not.toMatch(/<link|<script src/);
});

test("every report says, per version, what ran, passed, failed and was skipped, with each skip's reason", () => {
  expect(renderMatrixTable(report)).toMatch(/2\.8\.3\s+2\s+1\s+0\s+0\s+0\s+1\s+1/);
  expect(renderMatrixTable(report)).toContain("2.8.3 t: no <index> here");
  expect(renderMatrixTable(report)).toContain("schema2 fixtures");
  const md = renderMatrixMarkdown(report);
  expect(md).toContain("| 2.8.3 | 2 | 1 | 0 | 0 | 0 | 1 | 1 |");
  expect(md).toContain("- 2.8.3 t: no <index> here");
  const html = renderMatrixHtml(report);
  expect(html).toContain('<tr data-version="2.8.3"><th>2.8.3</th><td>2</td><td>1</td><td>0</td>');
  expect(html).toContain("<li>2.8.3 t: no &lt;index&gt; here</li>");
});
