import { SingleBar } from "cli-progress";
import type { CliIo } from "./cli-io.js";

/** A status line being drawn; `stop` erases it (call it in a `finally`: its timer keeps the process up). */
export interface ProgressLine {
  stop(): void;
}

/** Redraws per second: enough to show life, few enough that a slow terminal never holds the work up. */
const FPS = 5;

/**
 * Shows `render()` on stderr, redrawn a few times a second, and erases it when stopped. Nothing at all
 * when stderr is not a terminal or with `--quiet`. The work only bumps counters that `render` reads, so
 * progress costs no string per event (cli-progress draws at its own pace and only what changed).
 */
export function startProgressLine(
  io: CliIo,
  render: () => string,
  options: { quiet?: boolean } = {},
): ProgressLine {
  if (!io.stderrIsTTY || options.quiet) return { stop() {} };
  const line = new SingleBar({
    format: () => render(),
    stream: process.stderr,
    fps: FPS,
    clearOnComplete: true,
    // A hidden cursor would stay hidden after a second Ctrl-C (process.exit): leave it alone.
    hideCursor: false,
  });
  line.start(1, 0);
  return { stop: () => line.stop() };
}

/** `12345` as `12,345`: counters people read at a glance. */
export function count(n: number): string {
  return n.toLocaleString("en-US");
}
