import { defineConfig } from "vitest/config";

// Three projects so a run can be narrowed (`--project unit`), but `pnpm test` runs them all:
// integration and lab tests talk to real registries and a real Docker engine and must run in CI.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["packages/*/src/**/*.test.ts"],
          exclude: ["**/*.int.test.ts", "**/*.lab.test.ts", "**/node_modules/**", "**/dist/**"],
        },
      },
      {
        test: {
          name: "int",
          include: ["packages/*/src/**/*.int.test.ts"],
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: "lab",
          include: ["packages/*/src/**/*.lab.test.ts"],
          testTimeout: 600_000,
          hookTimeout: 600_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
