import { createHash } from "node:crypto";
import { closeSync, openSync, writeSync } from "node:fs";
import { appendFile, mkdir, readFile, rename, rm, rmdir, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { StorageIoError } from "./errors.js";
import type { Plan } from "./plan.js";
import { planJsonChunks, readPlanFile } from "./plan-json.js";
import { STATE_DIR } from "./storage-lock.js";

const PLAN_FILE = "journal-plan.json";
const DONE_FILE = "journal-done";
const HASH_FILE = "journal-plan.sha256";

/**
 * Writes a plan's JSON in pieces (never one string) and returns the text's sha256. Synchronously on
 * purpose: nothing else runs before the apply starts, and a piece that lived across an await would be
 * promoted to the old generation — 100 MB of garbage for a 50k-manifest plan.
 */
function writePlanHashed(path: string, plan: Plan): string {
  const hash = createHash("sha256");
  const fd = openSync(path, "w");
  try {
    // Pretty: one action per line, so that a resume reads it a line at a time (readPlanFile).
    for (const piece of planJsonChunks(plan, { pretty: true })) {
      hash.update(piece);
      writeSync(fd, piece);
    }
  } finally {
    closeSync(fd);
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
    // A 50k-manifest plan is ~100 MB of JSON: written in pieces to a temp file while hashing, never held
    // as one string; kept only if it differs from the plan already journaled (a resumed run).
    const temp = join(dir, `${PLAN_FILE}.tmp`);
    const hash = writePlanHashed(temp, plan);
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
    const planFile = join(dir, PLAN_FILE);
    const present = await stat(planFile).then(
      (s) => s.isFile(),
      () => false,
    );
    if (!present) return undefined;
    const doneText = await readFile(join(dir, DONE_FILE), "utf8").catch(() => "");
    const done = new Set(
      doneText
        .split("\n")
        .filter((l) => l !== "")
        .map(Number)
        .filter(Number.isInteger),
    );
    const plan = await readPlanFile(planFile).catch((error: unknown) => {
      // A journal that is there but cannot be read is named, not mistaken for a crash of ours.
      throw error instanceof Error && "errno" in error ? new StorageIoError(planFile, error, "read") : error;
    });
    return { plan, done };
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
