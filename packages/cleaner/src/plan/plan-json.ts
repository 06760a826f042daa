import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import { Readable } from "node:stream";
import { type Digest, isDigest } from "../model/digest.js";
import { PlanFileError } from "../model/errors.js";
import type { BackendKind, Plan, PlanAction, TagMethod } from "../model/plan.js";
import { validateRepositoryName, validateTag } from "../model/reference.js";
import { BLOBS_ROOT, parsePath, pathFor, REPOSITORIES_ROOT } from "../storage/storage-paths.js";
import { actionFiles, actionPath, ownDir } from "./plan-paths.js";

const FORMAT = "regsweep.plan/v1";
const TAG_METHODS: readonly TagMethod[] = ["tag-delete", "placeholder", "digest"];
const BACKENDS: readonly BackendKind[] = ["storage", "http"];

/**
 * An action as written: its fields plus the paths they give, so a reader of the file sees every path. The
 * paths are spliced into the action's own JSON: a spread copy per action (`{ ...a, path }`) was pretenured
 * by V8 and left ~70 MB of old-generation garbage per 300k actions.
 */
function actionJson(a: PlanAction): string {
  const own = JSON.stringify(a);
  if (a.type === "prune") return own;
  const files = a.type === "tag" || a.type === "revision" ? `,"files":${JSON.stringify(actionFiles(a))}` : "";
  return `${own.slice(0, -1)},"path":${JSON.stringify(actionPath(a))}${files}}`;
}

/** Actions per piece: a piece stays well under V8's large-object size (~128 KB), so it dies young. */
const PIECE = 200;

/**
 * A plan as JSON text, in pieces (a 50k-manifest plan is ~100 MB of JSON, never one string); joined, the
 * pieces are the document, with `actions` last. Pretty output puts one action per line and every piece ends
 * with a newline, so each piece is whole lines.
 */
export function* planJsonChunks(plan: Plan, options: { pretty?: boolean } = {}): Generator<string> {
  const { actions, ...rest } = plan;
  const pretty = options.pretty === true;
  const head = pretty ? JSON.stringify(rest, null, 2) : JSON.stringify(rest);
  const fields = head.slice(0, head.lastIndexOf("}")).trimEnd();
  const comma = head.length > 2 ? "," : "";
  yield pretty ? `${fields}${comma}\n  "actions": [\n` : `${fields}${comma}"actions":[`;
  for (let i = 0; i < actions.length; i += PIECE) {
    const chunk = actions.slice(i, i + PIECE).map(actionJson);
    const more = i + PIECE < actions.length;
    yield pretty
      ? `    ${chunk.join(",\n    ")}${more ? "," : ""}\n`
      : `${i > 0 ? "," : ""}${chunk.join(",")}`;
  }
  yield pretty ? "  ]\n}\n" : "]}";
}

type Json = Record<string, unknown>;

const text = (o: Json, key: string, where: string): string => {
  const v = o[key];
  if (typeof v !== "string") throw new PlanFileError(`${where}: "${key}" should be a string`);
  return v;
};
const digest = (v: unknown, where: string): Digest => {
  if (typeof v !== "string" || !isDigest(v))
    throw new PlanFileError(`${where}: ${JSON.stringify(v)} is not a digest`);
  return v;
};
const digests = (v: unknown, where: string): Digest[] => {
  if (!Array.isArray(v)) throw new PlanFileError(`${where}: expected a list of digests`);
  return v.map((d) => digest(d, where));
};
/** A name checked by distribution's grammar, its error restated as one about this plan entry. */
const grammar = (validate: (value: string) => string, value: string, where: string): string => {
  try {
    return validate(value);
  } catch (error) {
    throw new PlanFileError(`${where}: ${(error as Error).message}`);
  }
};
const repository = (o: Json, where: string) =>
  grammar(validateRepositoryName, text(o, "repository", where), where);
const tagName = (o: Json, where: string) => grammar(validateTag, text(o, "tag", where), where);
const bytes = (o: Json, where: string): number => {
  const v = o.bytes;
  if (typeof v !== "number" || !Number.isFinite(v) || v < 0)
    throw new PlanFileError(`${where}: "bytes" should be a size`);
  return v;
};

/** Digests of `files` that are links of `kind` for this repository (plans written before `history`/`signatures`). */
function digestsFromFiles(
  files: unknown,
  kind: "tag-index-link" | "signature-link",
  where: string,
): Digest[] {
  if (!Array.isArray(files)) return [];
  return files.flatMap((f) => {
    const p = typeof f === "string" ? parsePath(f) : undefined;
    if (!p) throw new PlanFileError(`${where}: ${JSON.stringify(f)} is not a storage path`);
    if (p.kind === kind)
      return [kind === "signature-link" ? (p as { signature: Digest }).signature : p.digest];
    return [];
  });
}

/** A folder a prune may remove: under repositories/ or blobs/, with no empty, `.` or `..` component. */
function prunePath(o: Json, where: string): string {
  const path = text(o, "path", where);
  const inside = path.startsWith(`${REPOSITORIES_ROOT}/`) || path.startsWith(`${BLOBS_ROOT}/`);
  if (!inside || path.split("/").some((c) => c === "" || c === "." || c === ".."))
    throw new PlanFileError(`${where}: ${JSON.stringify(path)} is not a folder under the storage tree`);
  return path;
}

/**
 * Stray entries an action removes, relative to its folder: plain names (nested for a tag's folder), never
 * `.`/`..`, and never a path that names a link or blob data (those are not strays, and never go this way).
 */
function strays(o: Json, dir: string, nested: boolean, where: string): { strays?: string[] } {
  if (o.strays === undefined) return {};
  if (!Array.isArray(o.strays)) throw new PlanFileError(`${where}: "strays" should be a list of names`);
  for (const s of o.strays) {
    const parts = typeof s === "string" ? s.split("/") : [];
    const kind = typeof s === "string" ? parsePath(`${dir}/${s}`)?.kind : undefined;
    if (
      parts.length === 0 ||
      (!nested && parts.length > 1) ||
      parts.some((c) => c === "" || c === "." || c === "..") ||
      (kind !== undefined && kind !== "tag-dir" && kind !== "repository" && kind !== "upload-dir")
    )
      throw new PlanFileError(`${where}: ${JSON.stringify(s)} is not a stray entry of ${dir}`);
  }
  return { strays: o.strays as string[] };
}

/** One action rebuilt from its JSON with only the fields it should have, every name validated. */
function readAction(o: Json, where: string): PlanAction {
  const reason = text(o, "reason", where);
  let a: PlanAction;
  switch (o.type) {
    case "tag": {
      const [repo, tag] = [repository(o, where), tagName(o, where)];
      const history =
        o.history !== undefined
          ? digests(o.history, where)
          : digestsFromFiles(o.files, "tag-index-link", where);
      if (o.method !== undefined && !TAG_METHODS.includes(o.method as TagMethod))
        throw new PlanFileError(`${where}: "method" should be one of ${TAG_METHODS.join(", ")}`);
      if (o.cascades !== undefined && !Array.isArray(o.cascades))
        throw new PlanFileError(`${where}: "cascades" should be a list of tags`);
      a = {
        type: "tag",
        repository: repo,
        tag,
        ...(o.current !== undefined ? { current: digest(o.current, where) } : {}),
        history,
        ...strays(o, pathFor({ kind: "tag-dir", repository: repo, tag }), true, where),
        reason,
        ...(o.method !== undefined ? { method: o.method as TagMethod } : {}),
        ...(o.cascades !== undefined
          ? { cascades: (o.cascades as unknown[]).map((t) => grammar(validateTag, String(t), where)) }
          : {}),
        ...(o.blocked !== undefined ? { blocked: text(o, "blocked", where) } : {}),
      };
      break;
    }
    case "tag-index-entry":
      a = {
        type: "tag-index-entry",
        repository: repository(o, where),
        tag: tagName(o, where),
        digest: digest(o.digest, where),
        reason,
      };
      Object.assign(a, strays(o, ownDir(a), false, where));
      break;
    case "revision": {
      const signatures =
        o.signatures !== undefined
          ? digests(o.signatures, where)
          : digestsFromFiles(o.files, "signature-link", where);
      const stage = o.stage;
      if (stage !== 0 && stage !== 1 && stage !== 2)
        throw new PlanFileError(`${where}: "stage" should be 0, 1 or 2`);
      a = {
        type: "revision",
        repository: repository(o, where),
        digest: digest(o.digest, where),
        ...(signatures.length > 0 ? { signatures } : {}),
        reason,
        stage,
      };
      Object.assign(a, strays(o, ownDir(a), true, where));
      break;
    }
    case "layer-link":
      a = { type: "layer-link", repository: repository(o, where), digest: digest(o.digest, where), reason };
      Object.assign(a, strays(o, ownDir(a), false, where));
      break;
    case "upload": {
      const upload = text(o, "upload", where);
      if (!/^[A-Za-z0-9_-][A-Za-z0-9._-]*$/.test(upload))
        throw new PlanFileError(`${where}: ${JSON.stringify(upload)} is not an upload id`);
      a = { type: "upload", repository: repository(o, where), upload, bytes: bytes(o, where), reason };
      break;
    }
    case "multipart-upload": {
      const upload = text(o, "upload", where);
      if (!/^[A-Za-z0-9_-][A-Za-z0-9._-]*$/.test(upload))
        throw new PlanFileError(`${where}: ${JSON.stringify(upload)} is not an upload id`);
      const uploadId = text(o, "uploadId", where);
      if (uploadId === "") throw new PlanFileError(`${where}: "uploadId" is empty`);
      a = { type: "multipart-upload", repository: repository(o, where), upload, uploadId, reason };
      break;
    }
    case "blob":
      a = { type: "blob", digest: digest(o.digest, where), bytes: bytes(o, where), reason };
      Object.assign(a, strays(o, ownDir(a), false, where));
      break;
    case "prune": {
      const path = prunePath(o, where);
      return { type: "prune", path, reason, ...strays(o, path, false, where) };
    }
    default:
      throw new PlanFileError(`${where}: unknown action type ${JSON.stringify(o.type)}`);
  }
  // A path written in the file must be the one its fields give: an edited path is refused, never followed.
  if (o.path !== undefined && o.path !== actionPath(a))
    throw new PlanFileError(
      `${where}: its path ${JSON.stringify(o.path)} does not match its fields (${actionPath(a)})`,
    );
  return a;
}

/**
 * The backend a plan is for. A plan written before plans named it is read by its source, as regsweep then
 * told them apart: a registry's URL was the HTTP API's, anything else (a folder, `s3://…`) a storage tree's.
 */
function backendOf(doc: Json): BackendKind {
  const named = doc.backend;
  if (named === undefined)
    return typeof doc.source === "string" && /^https?:\/\//.test(doc.source) ? "http" : "storage";
  if (typeof named !== "string" || !BACKENDS.includes(named as BackendKind))
    throw new PlanFileError(
      `"backend" should be one of ${BACKENDS.join(", ")}, not ${JSON.stringify(named)}`,
    );
  return named as BackendKind;
}

/** The plan in a parsed document, its actions rebuilt (or given, already rebuilt, by the line reader). */
function planFromDoc(doc: unknown, readActions?: PlanAction[]): Plan {
  if (typeof doc !== "object" || doc === null || (doc as Json).format !== FORMAT)
    throw new PlanFileError(`not a regsweep plan (format ${JSON.stringify((doc as Json | null)?.format)})`);
  const { actions, snapshots } = doc as Json;
  if (!Array.isArray(actions) || !Array.isArray(snapshots))
    throw new PlanFileError('a plan needs "actions" and "snapshots" lists');
  for (const [i, s] of snapshots.entries()) {
    const name = typeof (s as Json)?.name === "string" ? ((s as Json).name as string) : "";
    grammar(validateRepositoryName, name, `snapshot ${i}`);
  }
  (doc as Json).backend = backendOf(doc as Json);
  if (readActions) (doc as Json).actions = readActions;
  else
    for (let i = 0; i < actions.length; i++) {
      const o = actions[i];
      if (typeof o !== "object" || o === null) throw new PlanFileError(`action ${i}: not an object`);
      actions[i] = readAction(o as Json, `action ${i}`);
    }
  return doc as unknown as Plan;
}

/**
 * Reads a plan written by `planJsonChunks` (or by an earlier regsweep): checks the format, rebuilds every
 * action from validated names and digests, and refuses a path that does not match its action.
 */
export function parsePlanJson(json: string): Plan {
  let doc: unknown;
  try {
    doc = JSON.parse(json);
  } catch (error) {
    throw new PlanFileError(`not JSON: ${(error as Error).message}`);
  }
  return planFromDoc(doc);
}

/** The lines around a plan's actions when `planJsonChunks` writes it pretty. */
const ACTIONS_OPEN = '  "actions": [';
const ACTIONS_CLOSE = "  ]";

/**
 * Reads a plan file (`regsweep apply plan.json`, the journal on resume) as `parsePlanJson` does. In the
 * layout `planJsonChunks` writes when pretty — one action per line, `actions` last — it goes a line at a
 * time, each action rebuilt as it is read: at 50k manifests the file is ~100 MB, and parsed whole it held
 * that text and its ~300k written-out actions at once (a 410 MB peak). Any other layout is read whole.
 */
export async function readPlanFile(path: string): Promise<Plan> {
  return readPlanText(() => createReadStream(path, { encoding: "utf8" }));
}

/** A source of a plan's text, opened once per pass (a journaled plan in a store, a plan file). */
export type PlanTextSource = () => AsyncIterable<string | Uint8Array>;

/** Reads a plan as `readPlanFile` does, from any source of its text (the journal in a store). */
export async function readPlanText(open: PlanTextSource): Promise<Plan> {
  const plan = await readPlanLines(open);
  if (plan) return plan;
  const pieces: Buffer[] = [];
  for await (const piece of open())
    pieces.push(typeof piece === "string" ? Buffer.from(piece) : Buffer.from(piece));
  return parsePlanJson(Buffer.concat(pieces).toString("utf8"));
}

/** The plan, or `undefined` when the text is not in the one-action-per-line layout (exported for tests). */
export async function readPlanLines(source: string | PlanTextSource): Promise<Plan | undefined> {
  const head: string[] = [];
  const tail: string[] = [];
  const actions: PlanAction[] = [];
  let part: "head" | "actions" | "tail" = "head";
  const input =
    typeof source === "string" ? createReadStream(source, { encoding: "utf8" }) : Readable.from(source());
  const lines = createInterface({ input, crlfDelay: Infinity });
  try {
    for await (const line of lines) {
      if (part === "actions") {
        if (line === ACTIONS_CLOSE) {
          part = "tail";
          continue;
        }
        const body = line.trim();
        let o: unknown;
        try {
          o = JSON.parse(body.endsWith(",") ? body.slice(0, -1) : body);
        } catch {
          return undefined;
        }
        if (typeof o !== "object" || o === null || Array.isArray(o)) return undefined;
        actions.push(readAction(o as Json, `action ${actions.length}`));
      } else if (part === "tail") {
        tail.push(line);
      } else if (line === ACTIONS_OPEN) {
        part = "actions";
      } else {
        head.push(line);
      }
    }
  } finally {
    lines.close();
    input.destroy();
  }
  if (part !== "tail") return undefined;
  // Everything but the actions, with an empty list in their place: if the document still has any other
  // `actions` than that one (a duplicate key), it is not the layout we wrote, and is read whole.
  let doc: unknown;
  try {
    doc = JSON.parse([...head, '"actions": []', ...tail].join("\n"));
  } catch {
    return undefined;
  }
  const written = (doc as Json | null)?.actions;
  if (!Array.isArray(written) || written.length > 0) return undefined;
  return planFromDoc(doc, actions);
}
