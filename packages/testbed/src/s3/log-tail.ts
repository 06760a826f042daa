import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";

/** The last `lines` lines of every `*.log` / `*.out` in a folder, each headed by its name. */
export async function logTail(dir: string, lines = 15): Promise<string> {
  const names = (await readdir(dir).catch(() => [])).filter((n) => /\.(log|out)$/.test(n)).sort();
  const parts: string[] = [];
  for (const name of names) {
    const text = await readFile(join(dir, name), "utf8").catch(() => "");
    const tail = text.trimEnd().split("\n").slice(-lines).join("\n");
    if (tail) parts.push(`--- ${name}\n${tail}`);
  }
  return parts.join("\n");
}
