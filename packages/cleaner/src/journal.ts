import { createHash } from "node:crypto";
import { appendFile, mkdir, open, readFile, rename, rm, rmdir, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Plan } from "./plan.js";
import { STATE_DIR } from "./storage-lock.js";

const PLAN_FILE = "journal-plan.json";
const DONE_FILE = "journal-done";
const HASH_FILE = "journal-plan.sha256";

/** Writes a plan as the JSON `JSON.stringify` would give, in pieces, and returns the text's sha256. */
async function writePlanHashed(path: string, plan: Plan): Promise<string> {
  const hash = createHash("sha256");
  const file = await open(path, "w");
  try {
    const write = async (text: string) => {
      hash.update(text);
      await file.write(text);
    };
    const { actions, ...rest } = plan;
    const head = JSON.stringify(rest);
    await write(`${head.slice(0, -1)}${head.length > 2 ? "," : ""}"actions":[`);
    for (let i = 0; i < actions.length; i += 1000) {
      const chunk = actions.slice(i, i + 1000).map((a) => JSON.stringify(a));
      await write(`${i > 0 ? "," : ""}${chunk.join(",")}`);
    }
    await write("]}");
  } finally {
    await file.close();
  }
  return hash.digest("hex");
}

/** A plan whose apply did not finish (killed, crashed), with how many of its actions were done. */
export interface PendingJournal {
  plan: Plan;
  done: Set<number>;
}

/**
 * The apply journal: the plan being applied and the index of every action done, appended as it goes.
 * Every action is idempotent, so after a kill -9 applying the same plan again converges; the journal lets
 * a later run find that plan and report how far the last one got.
 */
export class Journal {
  private constructor(private readonly dir: string) {}

  /** Starts journaling a plan in a storage root (replacing a finished or abandoned journal). */
  static async begin(root: string, plan: Plan): Promise<Journal> {
    const dir = join(root, STATE_DIR);
    await mkdir(dir, { recursive: true });
    // A 50k-manifest plan is ~80 MB of JSON: written in pieces to a temp file while hashing, never held
    // as one string; kept only if it differs from the plan already journaled (a resumed run).
    const temp = join(dir, `${PLAN_FILE}.tmp`);
    const hash = await writePlanHashed(temp, plan);
    const existing = await readFile(join(dir, HASH_FILE), "utf8").catch(() => "");
    const planPresent = await stat(join(dir, PLAN_FILE)).then(
      () => true,
      () => false,
    );
    if (existing.trim() !== hash || !planPresent) {
      await rename(temp, join(dir, PLAN_FILE));
      await writeFile(join(dir, DONE_FILE), "");
      await writeFile(join(dir, HASH_FILE), hash);
    } else {
      await rm(temp, { force: true });
    }
    return new Journal(dir);
  }

  /** The unfinished plan in a storage root, if any. */
  static async pending(root: string): Promise<PendingJournal | undefined> {
    const dir = join(root, STATE_DIR);
    let planText: string;
    try {
      planText = await readFile(join(dir, PLAN_FILE), "utf8");
    } catch {
      return undefined;
    }
    const doneText = await readFile(join(dir, DONE_FILE), "utf8").catch(() => "");
    const done = new Set(
      doneText
        .split("\n")
        .filter((l) => l !== "")
        .map(Number)
        .filter(Number.isInteger),
    );
    return { plan: JSON.parse(planText) as Plan, done };
  }

  /** Records that action `index` is done (an append: a torn last line is ignored on reading). */
  async record(indexes: number[]): Promise<void> {
    if (indexes.length === 0) return;
    await appendFile(join(this.dir, DONE_FILE), `${indexes.join("\n")}\n`);
  }

  /** The plan was applied to the end: the journal goes, and with it regsweep's folder if nothing else is in it. */
  async finish(): Promise<void> {
    await rm(join(this.dir, PLAN_FILE), { force: true });
    await rm(join(this.dir, DONE_FILE), { force: true });
    await rm(join(this.dir, HASH_FILE), { force: true });
    await rmdir(this.dir).catch(() => undefined);
  }
}
