// What every bench script needs to time a whole process: a scratch folder removed at the end, a log line
// with the time of day, and one measured step (a command under /usr/bin/time -v in its own process group,
// so a Ctrl-C or a cap ends it and only it). Shared by gc-bench, s3-bench, compare-builds and the CLI's
// listing-bench, so a figure means the same in every table.
import { spawn } from "node:child_process";
import { createWriteStream, readFileSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { join } from "node:path";

/** The last line of a step's stdout, parsed: the run-one scripts print one JSON line of figures last. */
export const lastJson = (text) => JSON.parse(text.trim().split("\n").at(-1));

/**
 * A bench run: `work` is a fresh folder under `tmp`; on SIGINT/SIGTERM every running step's group is
 * killed, `onStop` runs (servers the script started), `work` is removed (unless `keep`), and the process
 * exits 130.
 */
export async function startBenchRun({ tag, tmp, prefix, keep = false, onStop = async () => {} }) {
  const work = await mkdtemp(join(tmp, prefix));
  const running = new Set();
  const log = (msg) => process.stderr.write(`[${tag} ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
  const killGroup = (pid) => {
    try {
      process.kill(-pid, "SIGKILL");
    } catch {}
  };
  const cleanup = async () => {
    for (const pid of running) killGroup(pid);
    await onStop().catch(() => {});
    if (!keep) await rm(work, { recursive: true, force: true });
  };
  let stopping = false;
  for (const signal of ["SIGINT", "SIGTERM"]) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      log(`${signal}: stopping every step`);
      cleanup().finally(() => process.exit(130));
    });
  }

  /**
   * Runs one step: wall ms, CPU ms (user + system), peak RSS kB, stdout (or its byte count when it goes to
   * `stdoutFile`). A step over `timeoutMs` is stopped and returned with `capped: true`; any other non-zero
   * exit throws with the end of its stderr.
   */
  async function measure(label, command, commandArgs, { stdoutFile, env, cwd, timeoutMs } = {}) {
    const timeFile = join(work, `time-${label.replace(/\W+/g, "_")}.txt`);
    const started = performance.now();
    const child = spawn("/usr/bin/time", ["-v", "-o", timeFile, command, ...commandArgs], {
      detached: true,
      cwd,
      env: env ?? process.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    running.add(child.pid);
    const out = [];
    const err = [];
    let outBytes = 0;
    const sink = stdoutFile ? createWriteStream(stdoutFile) : undefined;
    child.stdout.on("data", (c) => {
      outBytes += c.length;
      if (sink) sink.write(c);
      else out.push(c);
    });
    child.stderr.on("data", (c) => err.push(c));
    let capped = false;
    const timer =
      timeoutMs &&
      setTimeout(() => {
        capped = true;
        log(`${label}: over ${timeoutMs / 60_000} min, stopping it`);
        // Its own children first, so /usr/bin/time still writes their peak RSS; then the whole group.
        const kids = readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, "utf8")
          .trim()
          .split(/\s+/);
        for (const kid of kids.filter(Boolean)) {
          try {
            process.kill(Number(kid), "SIGKILL");
          } catch {}
        }
        setTimeout(() => killGroup(child.pid), 2_000).unref();
      }, timeoutMs);
    const code = await new Promise((ok) => child.on("close", (c, s) => ok(c ?? s)));
    if (timer) clearTimeout(timer);
    running.delete(child.pid);
    if (sink) await new Promise((ok) => sink.end(ok));
    const wallMs = performance.now() - started;
    const timeText = await readFile(timeFile, "utf8").catch(() => "");
    const figure = (name) => Number(new RegExp(`${name}: ([\\d.]+)`).exec(timeText)?.[1] ?? Number.NaN);
    const rssKb = figure("Maximum resident set size \\(kbytes\\)");
    const cpuMs = (figure("User time \\(seconds\\)") + figure("System time \\(seconds\\)")) * 1000;
    const stdout = Buffer.concat(out).toString("utf8");
    if (code !== 0 && !capped) {
      throw new Error(
        `${label} (${command} ${commandArgs.join(" ")}) exited with ${code}:\n` +
          `${Buffer.concat(err).toString("utf8").slice(-3000)}\n${stdout.slice(-2000)}`,
      );
    }
    return { wallMs, cpuMs, rssKb, stdout, outBytes, capped };
  }

  return { work, log, measure, cleanup };
}
