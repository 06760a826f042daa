import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// Only for leak-guard.int.test.ts, which runs vitest on this config in a child process: the repository's
// global setup and setup file, and a test file that leaks a registry on purpose.
export default defineConfig({
  test: {
    root: fileURLToPath(new URL("../../../..", import.meta.url)),
    include: ["packages/testbed/src/leak-fixture/*.fixture.ts"],
    globalSetup: ["packages/testbed/src/vitest-global-setup.ts"],
    setupFiles: ["packages/testbed/src/vitest-setup.ts"],
  },
});
