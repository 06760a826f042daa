import type { Plan, PlanAction } from "../model/plan.js";
import type { Store } from "../stores/store.js";
import type { DescriptorCacheEvictor, EvictionEntry } from "./descriptor-cache-evictor.js";
import { actionKey, keyFile, markLive } from "./live-mark.js";
import { Quarantine } from "./quarantine.js";

/** How a deletion runs beside a serving registry (see docs/live-gc.md). */
export interface LiveOptions {
  /**
   * The longest a manifest put takes from checking the blobs it names to writing its last link (the
   * registry's own request time). A held item is let go of only after this long, and after a mark.
   */
  settleMs: number;
  /** Keeps the registry's blob descriptor cache from answering "exists" for what is deleted. */
  evictor: DescriptorCacheEvictor;
  /** Where the marks take "written since" from (default: when the plan's inventory began). */
  sinceMs?: number;
  /** Waits (tests make time pass without sleeping). */
  sleep?: (ms: number) => Promise<void>;
}

/** What live deletion did beyond the plain apply, for the report. */
export interface LiveReport {
  marks: number;
  manifestsRead: number;
  held: number;
  /** Held items a manifest pushed meanwhile needed: put back. */
  restored: number;
  /** Held items the registry wrote again meanwhile (its new copy stays). */
  superseded: number;
  cacheKeysEvicted: number;
}

/** One action of a group, by its index in the plan. */
export interface LiveItem {
  index: number;
  action: PlanAction;
}

/** Why a live step kept an action (codes a caller can count). */
export type LiveSkip = LiveItem & { code: "live.in-use" | "live.rewritten" | "live.restored"; why: string };

const HELD_TYPES = new Set<PlanAction["type"]>(["tag", "revision", "layer-link", "blob"]);

function neededBy(action: PlanAction, inUse: ReadonlySet<string>): boolean {
  return (
    (action.type === "revision" || action.type === "layer-link" || action.type === "blob") &&
    inUse.has(action.digest)
  );
}

function evictionEntry(action: PlanAction): EvictionEntry | undefined {
  if (action.type === "blob") return { digest: action.digest };
  if (action.type === "revision" || action.type === "layer-link")
    return { digest: action.digest, repository: action.repository };
  return undefined;
}

/**
 * The live steps around each group of removals: mark, hold the key files aside, evict them from the
 * registry's cache, wait out `settleMs`, mark again, then put back what a push needed and let the rest go.
 */
export class LiveDeletion {
  readonly report: LiveReport = {
    marks: 0,
    manifestsRead: 0,
    held: 0,
    restored: 0,
    superseded: 0,
    cacheKeysEvicted: 0,
  };
  private readonly quarantine: Quarantine;
  private readonly sinceMs: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    private readonly store: Store,
    private readonly plan: Plan,
    private readonly options: LiveOptions,
  ) {
    this.quarantine = new Quarantine(store);
    this.sinceMs = options.sinceMs ?? plan.createdAtMs;
    this.sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  private async mark(items: readonly LiveItem[]) {
    const mark = await markLive(
      this.store,
      this.plan,
      this.sinceMs,
      items.map((i) => i.action),
    );
    this.report.marks++;
    this.report.manifestsRead += mark.manifestsRead;
    return mark;
  }

  /**
   * Takes a group of independent actions up to the point where removing them is safe. Returns the ones to
   * remove now (their key file is held: `release` them once removed) and the ones kept, with why.
   */
  async prepare(
    items: readonly LiveItem[],
  ): Promise<{ proceed: LiveItem[]; held: LiveItem[]; kept: LiveSkip[] }> {
    const kept: LiveSkip[] = [];
    const holdable = items.filter((i) => HELD_TYPES.has(i.action.type));
    if (holdable.length === 0) return { proceed: [...items], held: [], kept };
    const others = items.filter((i) => !HELD_TYPES.has(i.action.type));

    // 1. What was pushed since the inventory: its items stay.
    const before = await this.mark(holdable);
    const candidates = holdable.filter((item) => {
      if (before.rewritten.has(actionKey(item.action))) {
        kept.push({
          ...item,
          code: "live.rewritten",
          why: "written again by a push since the plan was made",
        });
        return false;
      }
      if (neededBy(item.action, before.inUse)) {
        kept.push({
          ...item,
          code: "live.in-use",
          why: "a manifest pushed since the plan was made needs it",
        });
        return false;
      }
      return true;
    });

    // 2. Hold each key file aside: to the registry it is deleted from now on, to us it is not lost.
    const paths = candidates.map((item) => keyFile(item.action) as string);
    const moved = await this.quarantine.hold(paths);
    const held = candidates.filter((_, i) => moved[i]);
    this.report.held += held.length;

    // 3. The registry's cache must not answer "exists" for them any more; if it cannot be told, undo.
    try {
      const entries = held.flatMap((item) => evictionEntry(item.action) ?? []);
      this.report.cacheKeysEvicted += await this.options.evictor.evict(entries);
    } catch (error) {
      for (const item of held) await this.quarantine.restore(keyFile(item.action) as string);
      throw error;
    }
    const heldAt = Date.now();

    // 4. A manifest put that checked its blobs before the hold (or read the cache before the eviction)
    //    has written its links within settleMs; then a mark sees it.
    await this.sleep(Math.max(0, heldAt + this.options.settleMs - Date.now()));
    const after = await this.mark(candidates);

    // 5. Put back what it needs; the registry's own rewrite of a path wins over our held copy.
    const proceed: LiveItem[] = [...others];
    for (const item of candidates) {
      const path = keyFile(item.action) as string;
      const wasHeld = held.includes(item);
      if (after.rewritten.has(actionKey(item.action))) {
        if (wasHeld) await this.quarantine.discard(path);
        this.report.superseded++;
        kept.push({ ...item, code: "live.rewritten", why: "written again by a push during the deletion" });
      } else if (neededBy(item.action, after.inUse)) {
        if (wasHeld && (await this.quarantine.restore(path)) === "superseded") this.report.superseded++;
        else this.report.restored++;
        kept.push({
          ...item,
          code: "live.restored",
          why: "a manifest pushed during the deletion needs it: put back",
        });
      } else {
        proceed.push(item);
      }
    }
    return { proceed, held: held.filter((item) => proceed.includes(item)), kept };
  }

  /** Lets go of the held key files of removed actions for good. */
  async release(items: readonly LiveItem[]): Promise<void> {
    for (const item of items) await this.quarantine.discard(keyFile(item.action) as string);
  }

  /** Removes the quarantine's empty folders at the end of a run. */
  async finish(): Promise<void> {
    await this.quarantine.tidy();
  }
}
