import { defineConfig } from "vitest/config";

// Every process or container a test starts is recorded in a ledger (packages/testbed/src/process-ledger.ts);
// the global teardown stops what is still running and fails the run naming the test file that started it.
const setupFiles = ["packages/testbed/src/vitest-setup.ts"];

// Four projects so a run can be narrowed (`--project unit`), but `pnpm test` runs them all:
// integration and lab tests talk to real registries and a real Docker engine and must run in CI.
// `s3` tests run against one real S3 server per run (REGSWEEP_S3_SERVER=swift|ceph, Swift by default);
// `./dev test` runs them a second time on Ceph.
export default defineConfig({
  test: {
    globalSetup: ["packages/testbed/src/vitest-global-setup.ts"],
    projects: [
      {
        test: {
          name: "unit",
          include: ["packages/*/src/**/*.test.ts"],
          exclude: ["**/*.int.test.ts", "**/*.lab.test.ts", "**/node_modules/**", "**/dist/**"],
          setupFiles,
        },
      },
      {
        test: {
          name: "int",
          include: ["packages/*/src/**/*.int.test.ts"],
          exclude: ["**/*.s3.int.test.ts", "**/node_modules/**", "**/dist/**"],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          setupFiles,
        },
      },
      {
        test: {
          name: "s3",
          include: ["packages/*/src/**/*.s3.int.test.ts"],
          globalSetup: ["packages/testbed/src/s3/s3-global-setup.ts"],
          testTimeout: 180_000,
          hookTimeout: 180_000,
          setupFiles,
        },
      },
      {
        test: {
          name: "lab",
          include: ["packages/*/src/**/*.lab.test.ts"],
          testTimeout: 600_000,
          hookTimeout: 600_000,
          fileParallelism: false,
          setupFiles,
        },
      },
    ],
  },
});
