import { isMap, isScalar, isSeq, LineCounter, type Node, parseDocument, type YAMLMap } from "yaml";
import { type Digest, isDigest } from "../model/digest.js";
import { RegsweepError } from "../model/errors.js";
import { parseDuration } from "../util/duration.js";
import { compilePattern } from "./name-matcher.js";
import { parseWindowDate } from "./parse-window-date.js";
import type {
  KeepCondition,
  NamePattern,
  NameSelector,
  RetentionPolicy,
  RetentionRule,
  TagOrder,
  TimeSource,
} from "./policy.js";
import { PolicyError } from "./policy-error.js";

/** How `parsePolicy` reaches outside the text: allow-list files named by the policy. */
export interface ParsePolicyOptions {
  /** Shown in errors (the policy file's path). */
  source?: string;
  /** Returns an allow-list file's text; relative paths are the caller's to resolve. Without it, `file:` is an error. */
  readDigestFile?: (path: string) => string;
}

const ORDERS: TagOrder[] = ["semver", "name", "pushed", "created"];
const CLEANREG_LINE = /^(\S+)\s+(\d+)$/;

/**
 * Parses a retention policy file (YAML) into rules, with errors that name the line. It also accepts
 * cleanreg's repositories file (`<repository> <images to keep>` per line) and its YAML twin
 * (`repositories: {name: N}`): N means "keep the last N tags by push time" there.
 */
export function parsePolicy(text: string, options: ParsePolicyOptions = {}): RetentionPolicy {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const lineOf = (node: unknown): number | undefined => {
    const range = (node as Node | undefined)?.range;
    return range ? lineCounter.linePos(range[0]).line : undefined;
  };
  const fail = (message: string, node?: unknown): never => {
    throw new PolicyError(message, lineOf(node), options.source);
  };
  const cleanreg = parseCleanregText(text);
  if (cleanreg) return cleanreg;
  const first = doc.errors[0];
  if (first)
    throw new PolicyError(
      first.message.split("\n")[0] ?? "invalid YAML",
      lineCounter.linePos(first.pos[0]).line,
      options.source,
    );
  const root = doc.contents;
  if (!isMap(root))
    return fail("a policy is a mapping with 'rules:' (and/or cleanreg's 'repositories:')", root);

  const keysOf = (map: YAMLMap, allowed: string[], what: string): Map<string, Node> => {
    const out = new Map<string, Node>();
    for (const pair of map.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : undefined;
      if (key === undefined || !allowed.includes(key))
        fail(`unknown key '${String(key)}' in ${what} (expected one of: ${allowed.join(", ")})`, pair.key);
      out.set(key as string, pair.value as Node);
    }
    return out;
  };
  const str = (node: Node | undefined, what: string): string => {
    if (!isScalar(node) || (typeof node.value !== "string" && typeof node.value !== "number"))
      return fail(`${what} must be a string`, node);
    return String(node.value);
  };
  const int = (node: Node | undefined, what: string): number => {
    if (!isScalar(node) || typeof node.value !== "number" || !Number.isInteger(node.value) || node.value < 0)
      return fail(`${what} must be a whole number ≥ 0`, node);
    return node.value;
  };
  const duration = (node: Node | undefined, what: string): number => {
    const s = str(node, what);
    try {
      return parseDuration(s);
    } catch {
      return fail(`${what}: invalid duration '${s}' (e.g. 12h, 30d, 2w)`, node);
    }
  };
  const date = (node: Node | undefined, what: string): number => {
    const s = str(node, what);
    try {
      return parseWindowDate(s);
    } catch {
      return fail(`${what}: invalid date '${s}' (YYYY-MM-DD or YYYY-MM-DDTHH:mm:ss)`, node);
    }
  };
  const by = (node: Node | undefined): TimeSource => {
    if (node === undefined) return "pushed";
    const s = str(node, "'by'");
    if (s !== "pushed" && s !== "created") fail(`'by' must be pushed or created, not '${s}'`, node);
    return s as TimeSource;
  };
  const pattern = (node: Node | undefined): NamePattern => {
    const s = str(node, "a pattern");
    const p: NamePattern =
      s.length > 2 && s.startsWith("/") && s.endsWith("/") ? { regex: s.slice(1, -1) } : { glob: s };
    try {
      compilePattern(p, lineOf(node));
    } catch (error) {
      if (error instanceof RegsweepError) fail(error.message.replace(/^[^:]*:\s*/, ""), node);
      throw error;
    }
    return p;
  };
  const patterns = (node: Node | undefined): NamePattern[] =>
    isSeq(node) ? node.items.map((n) => pattern(n as Node)) : [pattern(node)];
  const selector = (node: Node | undefined, what: string): NameSelector => {
    if (node === undefined) return { include: [], exclude: [] };
    if (isMap(node)) {
      const keys = keysOf(node, ["include", "exclude"], what);
      const include = keys.get("include");
      const exclude = keys.get("exclude");
      return {
        include: include === undefined ? [] : patterns(include),
        exclude: exclude === undefined ? [] : patterns(exclude),
      };
    }
    return { include: patterns(node), exclude: [] };
  };
  const digests = (node: Node | undefined): { digests: Digest[]; source?: string } => {
    if (isMap(node)) {
      const file = str(keysOf(node, ["file"], "'digests'").get("file"), "'digests.file'");
      if (!options.readDigestFile) return fail("'digests.file' cannot be read here", node);
      let content: string;
      try {
        content = options.readDigestFile(file);
      } catch (error) {
        return fail(`cannot read the allow-list '${file}': ${(error as Error).message}`, node);
      }
      return { digests: parseDigestList(content, file), source: file };
    }
    const list = isSeq(node) ? node.items : [node];
    return {
      digests: list.map((n) => {
        const s = str(n as Node, "a digest");
        if (!isDigest(s)) fail(`'${s}' is not a digest (sha256:<64 hex>)`, n);
        return s as Digest;
      }),
    };
  };
  const condition = (key: string, node: Node, keyNode: unknown): KeepCondition => {
    switch (key) {
      case "last": {
        if (isMap(node)) {
          const k = keysOf(node, ["count", "order", "groupBy"], "'last'");
          const order = k.has("order") ? str(k.get("order"), "'order'") : "semver";
          if (!ORDERS.includes(order as TagOrder))
            fail(`'order' must be one of ${ORDERS.join(", ")}, not '${order}'`, k.get("order"));
          const groupBy = k.get("groupBy");
          const groupText = groupBy === undefined ? undefined : regexText(str(groupBy, "'groupBy'"));
          if (groupText !== undefined) {
            try {
              new RegExp(groupText);
            } catch (error) {
              fail(`'groupBy' is not a valid regular expression: ${(error as Error).message}`, groupBy);
            }
          }
          return {
            kind: "last",
            count: int(k.get("count"), "'last.count'"),
            order: order as TagOrder,
            ...(groupText !== undefined ? { groupBy: groupText } : {}),
          };
        }
        return { kind: "last", count: int(node, "'last'"), order: "semver" };
      }
      case "tags":
        return { kind: "tags", patterns: patterns(node) };
      case "newerThan": {
        if (isMap(node)) {
          const k = keysOf(node, ["age", "by"], "'newerThan'");
          return {
            kind: "newer-than",
            ageMs: duration(k.get("age"), "'newerThan.age'"),
            by: by(k.get("by")),
          };
        }
        return { kind: "newer-than", ageMs: duration(node, "'newerThan'"), by: "pushed" };
      }
      case "outsideWindow": {
        if (!isMap(node)) return fail("'outsideWindow' needs 'before' and/or 'after' (and 'by')", node);
        const k = keysOf(node, ["before", "after", "by"], "'outsideWindow'");
        if (!k.has("before") && !k.has("after")) fail("'outsideWindow' needs 'before' and/or 'after'", node);
        return {
          kind: "outside-window",
          ...(k.has("before") ? { beforeMs: date(k.get("before"), "'before'") } : {}),
          ...(k.has("after") ? { afterMs: date(k.get("after"), "'after'") } : {}),
          by: k.has("by") ? by(k.get("by")) : "created",
        };
      }
      case "digests":
        return { kind: "digests", ...digests(node) };
      default:
        return fail(`unknown keep condition '${key}'`, keyNode);
    }
  };
  const KEEP_KEYS = ["last", "tags", "newerThan", "outsideWindow", "digests"];
  const keep = (node: Node | undefined, ruleNode: unknown): KeepCondition[] => {
    if (node === undefined)
      return fail("a rule needs 'keep:' (write 'keep: {}' to keep nothing in its scope)", ruleNode);
    const maps = isSeq(node) ? node.items : [node];
    const out: KeepCondition[] = [];
    for (const m of maps) {
      if (!isMap(m) && !(isScalar(m) && m.value === null))
        fail("'keep' is a mapping of conditions (or a list of them)", m);
      if (!isMap(m)) continue;
      for (const pair of m.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : "";
        if (!KEEP_KEYS.includes(key))
          fail(`unknown keep condition '${key}' (expected one of: ${KEEP_KEYS.join(", ")})`, pair.key);
        out.push(condition(key, pair.value as Node, pair.key));
      }
    }
    return out;
  };

  const top = keysOf(root, ["rules", "repositories"], "the policy");
  const rules: RetentionRule[] = [];
  const shortForm = top.get("repositories");
  if (shortForm !== undefined) {
    if (!isMap(shortForm)) fail("'repositories' maps a repository name to how many tags to keep", shortForm);
    for (const pair of (shortForm as YAMLMap).items) {
      const name = str(pair.key as Node, "a repository name");
      rules.push(cleanregRule(name, int(pair.value as Node, `'${name}'`), lineOf(pair.key)));
    }
  }
  const list = top.get("rules");
  if (list !== undefined) {
    if (!isSeq(list)) fail("'rules' is a list of rules", list);
    for (const [i, item] of (list as { items: unknown[] }).items.entries()) {
      if (!isMap(item)) fail("a rule is a mapping (name, repositories, tags, keep, untagged)", item);
      const k = keysOf(item as YAMLMap, ["name", "repositories", "tags", "keep", "untagged"], "a rule");
      const line = lineOf(item);
      const untagged = k.get("untagged");
      let untaggedOlderThanMs: number | undefined;
      if (untagged !== undefined) {
        untaggedOlderThanMs = isMap(untagged)
          ? duration(keysOf(untagged, ["olderThan"], "'untagged'").get("olderThan"), "'untagged.olderThan'")
          : duration(untagged, "'untagged'");
      }
      rules.push({
        name: k.has("name") ? str(k.get("name"), "'name'") : `rule ${i + 1}${line ? ` (line ${line})` : ""}`,
        repositories: selector(k.get("repositories"), "'repositories'"),
        tags: selector(k.get("tags"), "'tags'"),
        keep: keep(k.get("keep"), item),
        ...(untaggedOlderThanMs !== undefined ? { untaggedOlderThanMs } : {}),
        ...(line !== undefined ? { line } : {}),
      });
    }
  }
  if (rules.length === 0) fail("the policy has no rules", root);
  return { rules };
}

function regexText(s: string): string {
  return s.length > 2 && s.startsWith("/") && s.endsWith("/") ? s.slice(1, -1) : s;
}

function cleanregRule(name: string, count: number, line?: number): RetentionRule {
  return {
    name: `${name}: last ${count}`,
    repositories: { include: [{ regex: `^${name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$` }], exclude: [] },
    tags: { include: [], exclude: [] },
    keep: [{ kind: "last", count, order: "pushed" }],
    ...(line !== undefined ? { line } : {}),
  };
}

/** cleanreg's plain `<repository> <count>` lines, if the whole text is in that form. */
function parseCleanregText(text: string): RetentionPolicy | undefined {
  const lines = text.split("\n").map((l, i) => ({ l: l.trim(), line: i + 1 }));
  const body = lines.filter(({ l }) => l !== "" && !l.startsWith("#"));
  if (body.length === 0 || !body.every(({ l }) => CLEANREG_LINE.test(l))) return undefined;
  return {
    rules: body.map(({ l, line }) => {
      const [, name, n] = CLEANREG_LINE.exec(l) as RegExpExecArray;
      return cleanregRule(name as string, Number(n), line);
    }),
  };
}

/** An allow-list file: one digest per line (or `repository@digest`), `#` comments and blank lines ignored. */
export function parseDigestList(content: string, source = "allow-list"): Digest[] {
  const out: Digest[] = [];
  for (const [i, raw] of content.split("\n").entries()) {
    const l = raw.replace(/#.*/, "").trim();
    if (l === "") continue;
    const d = l.includes("@") ? l.slice(l.lastIndexOf("@") + 1) : l;
    if (!isDigest(d)) throw new PolicyError(`'${l}' is not a digest (sha256:<64 hex>)`, i + 1, source);
    out.push(d);
  }
  return out;
}
