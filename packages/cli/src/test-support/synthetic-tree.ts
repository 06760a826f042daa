import { spawn } from "node:child_process";
import { repoRoot } from "@regsweep/testbed";

/**
 * Writes the benches' synthetic storage tree (packages/cleaner/bench/make-tree.mjs) into `dir`, in a child
 * Node process: the generator is a plain ES module of the bench, outside every package's build.
 */
export async function writeSyntheticTree(
  dir: string,
  options: { manifests: number; seed: number; repositories?: number },
): Promise<void> {
  const made = spawn(
    process.execPath,
    [
      "--input-type=module",
      "-e",
      "const { makeTree } = await import(process.argv[1]); makeTree(process.argv[2], JSON.parse(process.argv[3]));",
      `${repoRoot()}/packages/cleaner/bench/make-tree.mjs`,
      dir,
      JSON.stringify(options),
    ],
    { stdio: "inherit" },
  );
  const code = await new Promise((resolve) => made.on("close", resolve));
  if (code !== 0) throw new Error(`make-tree.mjs exited with ${code}`);
}
