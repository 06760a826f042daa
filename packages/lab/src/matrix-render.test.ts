import { describe, expect, test } from "vitest";
import { type MatrixReport, verdictOf } from "./matrix.js";
import { renderMatrixHtml, renderMatrixMarkdown, renderMatrixTable } from "./matrix-render.js";

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

const report: MatrixReport = {
  runtime: "process",
  startedAt: "2026-01-01T00:00:00.000Z",
  durationMs: 5000,
  versions: ["2.8.3"],
  scenarios: [{ name: "s", description: "d" }],
  cells: [{ ...base, status: "fail", verdict: "FAIL", error: "Error: boom <tag>" }],
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
