import { type PlanOptions, parseDuration } from "@regsweep/cleaner";

/** The flags that change what is safe to delete, as every planning command takes them. */
export interface PlanFlags {
  grace?: string;
  uploadAge?: string;
  prune?: boolean;
}

/** The planner's options from the flags: one builder, so no command drops one of them. */
export function planOptionsFrom(flags: PlanFlags, nowMs?: number): Partial<PlanOptions> {
  return {
    ...(nowMs !== undefined ? { nowMs } : {}),
    ...(flags.grace !== undefined ? { graceMs: parseDuration(flags.grace) } : {}),
    ...(flags.uploadAge !== undefined ? { uploadMaxAgeMs: parseDuration(flags.uploadAge) } : {}),
    ...(flags.prune ? { prune: true } : {}),
  };
}
