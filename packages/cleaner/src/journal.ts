import { createHash } from "node:crypto";
import { appendFile, mkdir, readFile, rm, rmdir, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Plan } from "./plan.js";
import { STATE_DIR } from "./storage-lock.js";

const PLAN_FILE = "journal-plan.json";
const DONE_FILE = "journal-done";
const HASH_FILE = "journal-plan.sha256";

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
    // Compared by hash: a 50k-manifest plan is tens of MB of JSON, not something to hold twice.
    const text = JSON.stringify(plan);
    const hash = createHash("sha256").update(text).digest("hex");
    const existing = await readFile(join(dir, HASH_FILE), "utf8").catch(() => "");
    const planPresent = await stat(join(dir, PLAN_FILE)).then(
      () => true,
      () => false,
    );
    if (existing.trim() !== hash || !planPresent) {
      await writeFile(join(dir, PLAN_FILE), text);
      await writeFile(join(dir, DONE_FILE), "");
      await writeFile(join(dir, HASH_FILE), hash);
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
