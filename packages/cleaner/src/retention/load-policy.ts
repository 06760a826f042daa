import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { parsePolicy } from "./parse-policy.js";
import type { RetentionPolicy } from "./policy.js";
import { PolicyError } from "./policy-error.js";

/** Reads and parses a policy file; allow-list files it names are read relative to it. */
export async function loadPolicy(path: string): Promise<RetentionPolicy> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new PolicyError(`cannot read the policy: ${(error as Error).message}`, undefined, path);
  }
  return parsePolicy(text, {
    source: path,
    readDigestFile: (file) => readFileSync(resolve(dirname(path), file), "utf8"),
  });
}
