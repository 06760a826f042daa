import { type PlanOptions, parseDuration } from "@regsweep/cleaner";

/** The flags that change what is safe to delete, as every planning command takes them. */
export interface PlanFlags {
  grace?: string;
  uploadAge?: string;
  prune?: boolean;
}

/** What else the planner's options depend on: "now", and whether the backend has folders to prune. */
export interface PlanContext {
  nowMs?: number;
  /** False where the backend shows no folders (the HTTP API): `--prune` has nothing to remove there. */
  folderPrunes?: boolean;
}

/** The planner's options from the flags: one builder, so no command drops one of them. */
export function planOptionsFrom(flags: PlanFlags, context: PlanContext = {}): Partial<PlanOptions> {
  return {
    ...(context.nowMs !== undefined ? { nowMs: context.nowMs } : {}),
    ...(flags.grace !== undefined ? { graceMs: parseDuration(flags.grace) } : {}),
    ...(flags.uploadAge !== undefined ? { uploadMaxAgeMs: parseDuration(flags.uploadAge) } : {}),
    ...(flags.prune && context.folderPrunes !== false ? { prune: true } : {}),
  };
}
