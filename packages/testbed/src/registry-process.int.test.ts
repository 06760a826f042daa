import { expect, it } from "vitest";
import { catalog } from "./catalog.js";
import { isStillRunning, processStartTicks } from "./process-ledger.js";
import { pushManifest } from "./push.js";
import { defaultTestVersion } from "./registry-binary.js";
import { startRegistryProcess } from "./registry-process.js";
import { image, layer } from "./test-images.js";

it("restart() serves the same tree from a new process in the same handle, on the same port when free", async () => {
  await using registry = await startRegistryProcess({ version: defaultTestVersion() });
  await pushManifest(registry, "app", image({ layers: [layer("restart")] }), "v1");
  const { pid, port } = registry;
  const ticks = processStartTicks(pid) as number;
  expect(await registry.restart()).toBe(registry);
  expect(isStillRunning(pid, ticks)).toBe(false);
  expect(registry.pid).not.toBe(pid);
  expect(registry.port).toBe(port);
  expect(await catalog(registry.url)).toEqual(["app"]);
});
