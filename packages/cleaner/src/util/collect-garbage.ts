import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

let collect: (() => void) | undefined;

/**
 * Runs a full garbage collection now. Called where a large structure has just died (the inventory once a
 * plan is made): V8 sizes the next collection from the heap live at the last one, so without it the dead
 * inventory and the first minutes of apply's garbage pile up to ~270 MB of heap at 50k manifests before V8
 * looks. Uses `gc` when the process already exposes it, else exposes it once (the documented V8 flag, read
 * into a fresh context so the flag change reaches no code that was compiled before it).
 */
export function collectGarbage(): void {
  if (!collect) {
    const exposed = (globalThis as { gc?: () => void }).gc;
    if (exposed) collect = exposed;
    else {
      setFlagsFromString("--expose-gc");
      collect = runInNewContext("gc") as () => void;
    }
  }
  collect();
}
