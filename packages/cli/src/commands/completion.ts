import type { Command } from "commander";
import type { CliIo } from "../cli-io.js";
import { ExitCode } from "../exit-codes.js";

/** Every command with its long and short flags, read from the program itself so completion never drifts. */
function commandWords(program: Command): Array<{ name: string; flags: string[] }> {
  return program.commands.map((c) => ({
    name: c.name(),
    flags: c.options.flatMap((o) => [o.long, o.short].filter((f): f is string => Boolean(f))),
  }));
}

/** A bash completion script (zsh loads it through bashcompinit). */
export function bashCompletion(program: Command): string {
  const words = commandWords(program);
  const cases = words.map((w) => `    ${w.name}) opts="${w.flags.join(" ")}" ;;`).join("\n");
  return `# regsweep bash completion: eval "$(regsweep completion bash)"
_regsweep() {
  local cur cmd opts
  cur="\${COMP_WORDS[COMP_CWORD]}"
  cmd="\${COMP_WORDS[1]}"
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=($(compgen -W "${words.map((w) => w.name).join(" ")} --help --version" -- "$cur"))
    return
  fi
  case "$cmd" in
${cases}
    *) opts="" ;;
  esac
  case "\${COMP_WORDS[COMP_CWORD-1]}" in
    -s|--storage|--out) COMPREPLY=($(compgen -d -- "$cur")); return ;;
    -c|--config|--policy) COMPREPLY=($(compgen -f -- "$cur")); return ;;
  esac
  if [[ "$cur" == -* ]]; then COMPREPLY=($(compgen -W "$opts --help" -- "$cur")); else COMPREPLY=($(compgen -f -- "$cur")); fi
}
complete -F _regsweep regsweep
`;
}

/** `regsweep completion bash|zsh`. */
export function completionCommand(program: Command, io: CliIo, setExit: (code: number) => void): void {
  program
    .command("completion")
    .description("print a shell completion script")
    .argument("[shell]", "bash or zsh", "bash")
    .addHelpText(
      "after",
      '\nExamples:\n  eval "$(regsweep completion bash)"\n  regsweep completion zsh > ~/.zsh/regsweep.zsh   # with autoload bashcompinit; bashcompinit',
    )
    .action((shell: string) => {
      const script = bashCompletion(program);
      io.out(shell === "zsh" ? `autoload -U +X bashcompinit && bashcompinit\n${script}` : script);
      setExit(ExitCode.ok);
    });
}
