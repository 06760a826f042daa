// CPU time of running processes from /proc, for a bench step's machine-wide account: on a machine with few
// cores a step can be bound by the server's CPU, not by its own waiting, and only the CPU figures tell which.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

const ticksPerSecond = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;

/**
 * User + system CPU of `pids` so far, in ms, with their waited-for children's (forked workers). A pid that
 * is gone counts 0: take the difference of two readings of the same live processes.
 */
export function processesCpuMs(pids) {
  let ticks = 0;
  for (const pid of pids) {
    let stat;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    } catch {
      continue;
    }
    // Fields after "(comm) ": state is field 3, so utime (14), stime, cutime, cstime (17) are 11..14 here.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    for (const i of [11, 12, 13, 14]) ticks += Number(fields[i]);
  }
  return (ticks * 1000) / ticksPerSecond;
}

/** This process's own user + system CPU so far, in ms. */
export function ownCpuMs() {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}
