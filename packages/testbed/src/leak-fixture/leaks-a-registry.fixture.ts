import { expect, it } from "vitest";
import { defaultTestVersion } from "../registry-binary.js";
import { startRegistryProcess } from "../registry-process.js";

// Deliberately never stopped: the run's global teardown must stop it and fail naming this file.
it("starts a registry and forgets it", async () => {
  const registry = await startRegistryProcess({ version: defaultTestVersion() });
  expect(registry.pid).toBeGreaterThan(0);
});
