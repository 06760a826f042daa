import { readdir, readFile, realpath } from "node:fs/promises";
import { basename, join } from "node:path";
import { parse } from "yaml";

/** A process that looks like a registry serving a given storage tree. */
export interface ServingRegistry {
  pid: number;
  command: string;
  /** How we know: its config, its environment, or a bind mount of the tree (a container). */
  evidence: "config" | "environment" | "mount";
  /** Its config file's text, when it could be read (for its blob descriptor cache). */
  configText?: string;
  /** Its `REGISTRY_*` environment (overrides of the config), when it could be read. */
  env?: Record<string, string>;
}

async function text(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, "utf8");
  } catch {
    return undefined;
  }
}

async function canonical(path: string): Promise<string> {
  return realpath(path).catch(() => path);
}

/**
 * Looks through /proc for registry processes that serve `root`: a `registry`/`docker-registry` binary whose
 * config or `REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY` names the tree, or any process (a container) with
 * the tree bind-mounted. A heuristic: it can miss a registry on another host sharing the disk (NFS).
 */
export async function findServingRegistries(root: string): Promise<ServingRegistry[]> {
  const target = await canonical(root);
  const found: ServingRegistry[] = [];
  const pids = (await readdir("/proc").catch(() => [] as string[])).filter(
    (p) => /^\d+$/.test(p) && Number(p) !== process.pid,
  );
  await Promise.all(
    pids.map(async (p) => {
      const cmdline = (await text(`/proc/${p}/cmdline`))?.split("\0").filter(Boolean) ?? [];
      if (cmdline.length === 0) return;
      const exe = basename(cmdline[0] ?? "");
      const command = cmdline.join(" ");
      const pid = Number(p);
      if (/registry/.test(exe) && !cmdline.includes("garbage-collect")) {
        const env = (await text(`/proc/${p}/environ`))?.split("\0") ?? [];
        const registryEnv = Object.fromEntries(
          env
            .filter((e) => e.startsWith("REGISTRY_"))
            .map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)]),
        );
        const fromEnv = env
          .find((e) => e.startsWith("REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY="))
          ?.split("=", 2)[1];
        const configArg = cmdline.slice(1).find((a) => /\.ya?ml$/.test(a));
        const configPath =
          configArg ?? env.find((e) => e.startsWith("REGISTRY_CONFIGURATION_PATH="))?.split("=", 2)[1];
        const cwd = await realpath(`/proc/${p}/cwd`).catch(() => "/");
        const configText = configPath
          ? await text(configPath.startsWith("/") ? `/proc/${p}/root${configPath}` : join(cwd, configPath))
          : undefined;
        const seen = { ...(configText !== undefined ? { configText } : {}), env: registryEnv };
        if (fromEnv && (await canonical(fromEnv)) === target) {
          found.push({ pid, command, evidence: "environment", ...seen });
          return;
        }
        if (configPath) {
          try {
            const dir = (parse(configText ?? "") as { storage?: { filesystem?: { rootdirectory?: string } } })
              ?.storage?.filesystem?.rootdirectory;
            if (dir && (await canonical(dir)) === target) {
              found.push({ pid, command, evidence: "config", ...seen });
              return;
            }
          } catch {
            // not YAML we understand: fall through to the mount check
          }
        }
      }
      // A registry in a container sees the tree under another path; its mount table still names ours.
      const mounts = (await text(`/proc/${p}/mountinfo`)) ?? "";
      if (/registry/.test(command) && mounts.split("\n").some((line) => line.split(" ")[3] === target)) {
        found.push({ pid, command, evidence: "mount" });
      }
    }),
  );
  return found.sort((a, b) => a.pid - b.pid);
}
