import { createHash } from "node:crypto";
import { StorageIoError } from "../model/errors.js";
import type { Plan } from "../model/plan.js";
import { planJsonChunks, readPlanText } from "../plan/plan-json.js";
import { settled } from "../stores/outcome.js";
import type { Store } from "../stores/store.js";
import { type StoreTarget, useStore } from "../stores/use-store.js";
import { STATE_DIR } from "./storage-lock.js";

const PLAN_FILE = `${STATE_DIR}/journal-plan.json`;
const DONE_FILE = `${STATE_DIR}/journal-done`;
const HASH_FILE = `${STATE_DIR}/journal-plan.sha256`;
const TEMP_FILE = `${PLAN_FILE}.tmp`;

/** A small file's text, `undefined` when it is not there. */
async function readText(store: Store, path: string): Promise<string | undefined> {
  const bytes = settled(store, (await store.read([path]))[0], path);
  return bytes && Buffer.from(bytes).toString("utf8");
}

/**
 * Writes a plan's JSON in pieces (never one string) and returns the text's sha256. The filesystem store
 * writes them synchronously on purpose: nothing else runs before the apply starts, and a piece that lived
 * across an await would be promoted to the old generation — 100 MB of garbage for a 50k-manifest plan.
 */
async function writePlanHashed(store: Store, path: string, plan: Plan): Promise<string> {
  const hash = createHash("sha256");
  // Pretty: one action per line, so that a resume reads it a line at a time (readPlanText).
  function* hashed() {
    for (const piece of planJsonChunks(plan, { pretty: true })) {
      hash.update(piece);
      yield piece;
    }
  }
  await store.put(path, hashed());
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
 * a later run find that plan and report how far the last one got. It lives in the store, in regsweep's own
 * folder beside the registry's.
 */
export class Journal {
  private constructor(private readonly target: StoreTarget) {}

  /** Starts journaling a plan in a store (replacing a finished or abandoned journal). */
  static async begin(target: StoreTarget, plan: Plan): Promise<Journal> {
    await useStore(target, {}, async (store) => {
      // A 50k-manifest plan is ~100 MB of JSON: written in pieces to a temp file while hashing, never held
      // as one string; kept only if it differs from the plan already journaled (a resumed run).
      const temp = TEMP_FILE;
      const hash = await writePlanHashed(store, temp, plan);
      const existing = (await readText(store, HASH_FILE)) ?? "";
      const planPresent = settled(store, (await store.stat([PLAN_FILE]))[0], PLAN_FILE) !== undefined;
      if (existing.trim() !== hash || !planPresent) {
        await store.move(temp, PLAN_FILE);
        await store.put(DONE_FILE, [""]);
        await store.put(HASH_FILE, [hash]);
      } else {
        await store.remove(temp);
      }
    });
    return new Journal(target);
  }

  /** The unfinished plan in a store, if any. */
  static async pending(target: StoreTarget): Promise<PendingJournal | undefined> {
    return useStore(target, {}, async (store) => {
      const info = settled(store, (await store.stat([PLAN_FILE]))[0], PLAN_FILE);
      if (info?.kind !== "file") return undefined;
      const doneText = await readText(store, DONE_FILE).catch(() => "");
      const done = new Set(
        (doneText ?? "")
          .split("\n")
          .filter((l) => l !== "")
          .map(Number)
          .filter(Number.isInteger),
      );
      const plan = await readPlanText(() => store.readStream(PLAN_FILE)).catch((error: unknown) => {
        // A journal that is there but cannot be read is named, not mistaken for a crash of ours.
        throw error instanceof Error && "errno" in error
          ? new StorageIoError(store.describe(PLAN_FILE), error, "read")
          : error;
      });
      return { plan, done };
    });
  }

  /** Records that action `index` is done (an append: a torn last line is ignored on reading). */
  async record(indexes: number[]): Promise<void> {
    if (indexes.length === 0) return;
    const text = `${indexes.join("\n")}\n`;
    await useStore(this.target, {}, async (store) => {
      if (store.append) await store.append(DONE_FILE, text);
      // A store that cannot append rewrites the list: records come once per phase, so it stays short.
      else await store.put(DONE_FILE, [(await readText(store, DONE_FILE)) ?? "", text]);
    });
  }

  /**
   * Removes the journal's pieces that are there without its plan: what a run killed while it finished (the
   * plan gone, the list of actions done and the hash not yet) or while it began (the plan's temp file)
   * leaves. No later apply would remove them when there is nothing left to do. A journal with its plan (an
   * apply to resume) stays whole. Call it holding the lock: a run beginning its journal writes these pieces.
   */
  static async clearOrphans(target: StoreTarget): Promise<void> {
    await useStore(target, {}, async (store) => {
      const [listing] = await store.list([STATE_DIR]);
      const entries = settled(store, listing, STATE_DIR);
      if (!Array.isArray(entries)) return;
      const names = new Set(entries.map((e) => `${STATE_DIR}/${e.name}`));
      if (names.has(PLAN_FILE)) return;
      for (const file of [DONE_FILE, HASH_FILE, TEMP_FILE]) if (names.has(file)) await store.remove(file);
    });
  }

  /** The plan was applied to the end: the journal goes, and with it regsweep's folder if nothing else is in it. */
  async finish(): Promise<void> {
    await useStore(this.target, {}, async (store) => {
      for (const file of [PLAN_FILE, DONE_FILE, HASH_FILE]) await store.remove(file);
    });
  }
}
