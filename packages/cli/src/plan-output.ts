import { once } from "node:events";
import { createWriteStream } from "node:fs";
import { finished } from "node:stream/promises";
import { type Plan, planJsonChunks } from "@regsweep/cleaner";
import type { CliIo } from "./cli-io.js";

/** Saves a plan for `regsweep apply`, streamed: a large plan is never one string. */
export async function savePlan(file: string, plan: Plan): Promise<void> {
  const out = createWriteStream(file);
  for (const piece of planJsonChunks(plan, { pretty: true })) {
    if (!out.write(piece)) await once(out, "drain");
  }
  out.end();
  await finished(out);
}

/** Prints a plan as JSON (`--json`), a few thousand lines at a time. */
export function printPlanJson(io: CliIo, plan: Plan): void {
  for (const piece of planJsonChunks(plan, { pretty: true })) io.out(piece.slice(0, -1));
}
