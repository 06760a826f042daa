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

/** Prints a plan as JSON (`--json`), as fast as the reader takes it. */
export function printPlanJson(io: CliIo, plan: Plan): Promise<void> {
  return io.outLines(
    (function* () {
      for (const piece of planJsonChunks(plan, { pretty: true })) yield piece.slice(0, -1);
    })(),
  );
}
