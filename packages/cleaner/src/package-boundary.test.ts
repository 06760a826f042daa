import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

// The library is used by the CLI, the lab and anyone embedding it: no CLI, Docker or test-container code
// may creep in, neither as a dependency nor as an import in shipped source.
const here = dirname(fileURLToPath(import.meta.url));
const FORBIDDEN = [
  "commander",
  "dockerode",
  "testcontainers",
  "tar-fs",
  "cli-progress",
  "cli-table3",
  "picocolors",
];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return e.name === "test-support" ? [] : sourceFiles(path);
    return e.name.endsWith(".ts") && !e.name.endsWith(".test.ts") ? [path] : [];
  });
}

describe("packages/cleaner boundary", () => {
  it("declares none of the CLI/Docker packages as a dependency", () => {
    const pkg = JSON.parse(readFileSync(join(here, "../package.json"), "utf8")) as {
      dependencies?: Record<string, string>;
    };
    expect(Object.keys(pkg.dependencies ?? {}).filter((d) => FORBIDDEN.includes(d))).toEqual([]);
  });

  it("imports none of them, nor the CLI or the lab, from shipped source", () => {
    const offenders = sourceFiles(here).flatMap((file) => {
      const imports = [...readFileSync(file, "utf8").matchAll(/from\s+"([^"]+)"/g)].map(
        (m) => m[1] as string,
      );
      return imports
        .filter(
          (i) =>
            FORBIDDEN.includes(i) ||
            i === "regsweep" ||
            i.startsWith("@regsweep/lab") ||
            i.startsWith("@regsweep/testbed"),
        )
        .map((i) => `${file.slice(here.length + 1)} imports ${i}`);
    });
    expect(offenders).toEqual([]);
  });
});
