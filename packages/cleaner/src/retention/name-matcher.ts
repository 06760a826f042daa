import picomatch from "picomatch";
import type { NamePattern, NameSelector } from "./policy.js";
import { PolicyError } from "./policy-error.js";

/** Compiles a pattern into a predicate; a regex that does not compile is a policy error. */
export function compilePattern(pattern: NamePattern, line?: number): (name: string) => boolean {
  if ("glob" in pattern) {
    const isMatch = picomatch(pattern.glob, { dot: true });
    return (name) => isMatch(name);
  }
  let re: RegExp;
  try {
    re = new RegExp(pattern.regex);
  } catch (error) {
    throw new PolicyError(`invalid regular expression /${pattern.regex}/: ${(error as Error).message}`, line);
  }
  return (name) => re.test(name);
}

/** Compiles a selector: any include (all names when there is none) and no exclude. */
export function compileSelector(selector: NameSelector, line?: number): (name: string) => boolean {
  const include = selector.include.map((p) => compilePattern(p, line));
  const exclude = selector.exclude.map((p) => compilePattern(p, line));
  return (name) => (include.length === 0 || include.some((m) => m(name))) && !exclude.some((m) => m(name));
}

/** A pattern as the user wrote it, for messages. */
export function patternText(pattern: NamePattern): string {
  return "glob" in pattern ? pattern.glob : `/${pattern.regex}/`;
}
