import { createHash } from "node:crypto";
import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";

/** Every file under a folder, root-relative, with its content hash and mtime: a tree's fingerprint. */
export async function treeFiles(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  async function walk(dir: string): Promise<void> {
    for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
      const path = join(dir, e.name);
      if (e.isDirectory()) await walk(path);
      else {
        const info = await stat(path);
        out[path.slice(root.length + 1)] = `${createHash("sha256")
          .update(await readFile(path))
          .digest("hex")} ${info.mtimeMs}`;
      }
    }
  }
  await walk(root);
  return out;
}

/** Every folder under a root, root-relative (to see that nothing empty is left behind). */
export async function treeDirs(root: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(dir: string): Promise<void> {
    for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
      if (!e.isDirectory()) continue;
      const path = join(dir, e.name);
      out.push(path.slice(root.length + 1));
      await walk(path);
    }
  }
  await walk(root);
  return out.sort();
}
