import { cp, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  defaultTestVersion,
  expectPullable,
  type StartedRegistry,
  startRegistryProcess,
} from "@regsweep/testbed";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  hostileCases,
  hostileImages,
  pushHostileBase,
  treeShape,
  withoutHostile,
} from "../../cleaner/src/test-support/hostile-trees.js";
import { runRegsweep } from "./test-support/run-regsweep.js";

// Issue #18 on a tree a real registry wrote: every hostile case, through the CLI as an operator runs it.

const commands = {
  "gc -m": ["gc", "-m", "--grace", "0", "--yes"],
  "delete every repository": ["delete", "app", "keep", "lib", "other", "--grace", "0", "--yes"],
} as const;
type Command = keyof typeof commands;

let pushed: StartedRegistry;
const temps: string[] = [];
const tempDir = async (prefix: string) => {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  temps.push(dir);
  return dir;
};
/** A copy of the tree the registry wrote (the registry is stopped). */
const copyOfPushed = async () => {
  const root = await tempDir("regsweep-hostile-");
  await cp(pushed.storageRoot, root, { recursive: true, verbatimSymlinks: true });
  return root;
};
const clean = new Map<Command, Map<string, string>>();

beforeAll(async () => {
  pushed = await startRegistryProcess({ version: defaultTestVersion() });
  await pushHostileBase(pushed);
  await pushed.stop();
  for (const command of Object.keys(commands) as Command[]) {
    const root = await copyOfPushed();
    const run = await runRegsweep([...commands[command], "--storage", root]);
    expect(run.code, run.stderr).toBe(0);
    clean.set(command, await treeShape(root));
  }
}, 300_000);

afterAll(async () => {
  await pushed?.stop({ removeStorage: true });
  for (const dir of temps) await rm(dir, { recursive: true, force: true });
});

describe.each(Object.keys(commands) as Command[])("regsweep %s on a registry-written tree", (command) => {
  it.each(hostileCases.map((c) => [c.name, c] as const))(
    "with %s: finishes on the first run",
    async (_, hostile) => {
      const root = await copyOfPushed();
      const outside = await tempDir("regsweep-outside-");
      const spoiled = await hostile.spoil(root, outside);
      const outsideBefore = await treeShape(outside);
      const rootBefore = await treeShape(root);
      const run = await runRegsweep([...commands[command], "--storage", root]);
      if (spoiled.precondition) {
        expect(run.code, run.stderr).toBe(3);
        expect(run.stderr).toContain(spoiled.hostile[0]);
        expect(await treeShape(root), "nothing changed").toEqual(rootBefore);
        expect(await treeShape(outside)).toEqual(outsideBefore);
        return;
      }
      expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
      expect(run.stdout).not.toContain("skipped");
      const again = await runRegsweep(["gc", "-m", "--grace", "0", "--yes", "--storage", root]);
      expect(again.code, again.stderr).toBe(0);
      expect(again.stderr, "a second run plans nothing").toContain("nothing to do");

      const after = await treeShape(root);
      const gone = (command === "gc -m" ? spoiled.goneAfterGc : spoiled.goneAfterDelete) ?? [];
      for (const path of gone) expect(after.has(path), `${path} went with its folder`).toBe(false);
      const kept = spoiled.hostile.filter((h) => !gone.includes(h));
      for (const path of kept) expect(after.has(path), `${path} is kept`).toBe(true);
      if (hostile.name.startsWith("extra files"))
        expect(run.stderr, "the plan says which strays go").toContain("stray entries go with the folders");
      expect(withoutHostile(after, kept)).toEqual(
        withoutHostile(clean.get(command) as Map<string, string>, kept),
      );
      expect(await treeShape(outside), "nothing outside the root changed").toEqual(outsideBefore);

      if (command === "gc -m") {
        // Every kept tag still pulls from a registry on the cleaned tree (keep:t only if its manifest is whole).
        const registry = await startRegistryProcess({ version: defaultTestVersion(), storageRoot: root });
        try {
          await expectPullable(registry.host, "app:v2", hostileImages.b2.digest);
          await expectPullable(registry.host, "other:v1", hostileImages.a.digest);
          if (!hostile.name.includes("not a digest")) await expectPullable(registry.host, "lib:latest");
          if (!hostile.name.includes("traversal")) await expectPullable(registry.host, "app:v1");
          if (!hostile.name.includes("corrupt")) await expectPullable(registry.host, "keep:t");
        } finally {
          await registry.stop();
        }
      }
    },
  );
});
