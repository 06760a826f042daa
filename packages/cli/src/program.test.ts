import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import type { CliIo } from "./cli-io.js";
import { deleteRequests } from "./commands/delete.js";
import { createProgram, type ProgramState } from "./program.js";

function captured(): { io: CliIo; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    io: {
      out: (t) => out.push(t),
      outLines: async (lines) => {
        for (const line of lines) out.push(line);
      },
      err: (t) => err.push(t),
      interactive: false,
      stderrIsTTY: false,
      env: {},
      confirm: async () => false,
    },
  };
}

async function runProgram(args: string[]) {
  const c = captured();
  const state: ProgramState = { exitCode: 0 };
  const program = createProgram(c.io, state).exitOverride();
  let thrown: unknown;
  await program.parseAsync(args, { from: "user" }).catch((e: unknown) => {
    thrown = e;
  });
  return { ...c, state, thrown };
}

describe("regsweep program (in-process)", () => {
  it("--help lists every command and documents the exit codes", async () => {
    const { out } = await runProgram(["--help"]);
    const text = out.join("\n");
    for (const cmd of ["ls", "du", "delete", "gc", "apply", "resume", "check", "completion"])
      expect(text).toContain(cmd);
    expect(text).toMatch(/Exit codes:[\s\S]*6 {2}stale plan/);
  });

  it("each command's help has examples", async () => {
    for (const cmd of ["delete", "gc", "ls", "du", "check", "apply"]) {
      const { out } = await runProgram([cmd, "--help"]);
      expect(out.join("\n"), cmd).toContain("Examples:");
    }
  });

  it.each([
    [["test/a"], false, [{ kind: "delete-repository", repository: "test/a" }]],
    [["test/a:1"], false, [{ kind: "delete-tag", repository: "test/a", tag: "1" }]],
    [["test/a"], true, [{ kind: "delete-untagged", repository: "test/a" }]],
    [[], true, [{ kind: "delete-untagged" }]],
    [
      [`a@sha256:${"b".repeat(64)}`],
      false,
      [{ kind: "delete-manifest", repository: "a", digest: `sha256:${"b".repeat(64)}` }],
    ],
  ])("delete %j (untagged: %s) → %j", (images, untagged, requests) => {
    expect(deleteRequests(images as string[], untagged as boolean)).toEqual(requests);
  });

  it("--io-threads outside 1..64 is refused before the tree is touched", async () => {
    const { thrown } = await runProgram(["du", "--storage", "/nonexistent", "--io-threads", "0"]);
    expect(thrown).toMatchObject({
      code: "request.invalid",
      message: "--io-threads must be a whole number from 1 to 64, not '0'",
    });
  });

  it("an unknown option is a usage error", async () => {
    const { thrown, err } = await runProgram(["delete", "--nope"]);
    expect((thrown as { code?: string }).code).toBe("commander.unknownOption");
    expect(err.join("\n")).toContain("--nope");
  });

  it("the bash completion script is valid bash and offers the commands and a command's flags", async () => {
    const { out } = await runProgram(["completion", "bash"]);
    const dir = mkdtempSync(join(tmpdir(), "regsweep-completion-"));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, "c.bash");
    writeFileSync(file, out.join("\n"));
    const offer = (line: string) =>
      execFileSync(
        "bash",
        [
          "-c",
          `source ${file}; COMP_WORDS=(${line}); COMP_CWORD=$((\${#COMP_WORDS[@]}-1)); _regsweep; echo "\${COMPREPLY[*]}"`,
        ],
        { encoding: "utf8" },
      ).trim();
    expect(offer("regsweep g")).toBe("gc");
    expect(offer("regsweep gc --del").split(" ")).toContain("--delete-untagged");
  });
});
