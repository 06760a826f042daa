import type { Plan, PlanAction, TagMethod } from "../model/plan.js";
import type { RegistryCapabilities } from "./probe-registry.js";

/** Choices the operator makes about tag deletes online. */
export interface TagMethodOptions {
  /** `--cascade-tags`: a tag whose digest kept tags share goes by digest, and they go with it. */
  cascadeTags?: boolean;
}

type TagAction = PlanAction & { type: "tag" };

/** The method for one tag, or why the API cannot delete it here. */
export type TagMethodChoice =
  | { method: TagMethod; cascades?: string[]; blocked?: undefined }
  | { method?: undefined; blocked: string };

/** What `chooseTagMethod` needs to know about the plan besides the tag itself. */
export interface TagMethodContext {
  caps: RegistryCapabilities;
  options: TagMethodOptions;
  /** `repository@digest` of every revision the plan deletes. */
  deletedRevisions: Set<string>;
  /** `repository@digest` of manifests read as schema1 (the digest may be a registry's rewrite). */
  schema1: Set<string>;
  /** Why the plan keeps `repository@digest`, other than a kept tag naming it (index child, referrer…). */
  keptOtherwise: Map<string, string[]>;
  /** Tags the plan keeps, by `repository@digest` they name. */
  keptTags: Map<string, string[]>;
}

/**
 * How the API deletes one tag. Deleting by digest is the cheapest and is right when the plan deletes the
 * manifest anyway (2.3+ untag it; 2.2 leaves the tag dangling). Otherwise the tag must go alone: by name on
 * 3.x, through a placeholder on 2.3–2.8; `--cascade-tags` instead deletes by digest when only kept tags (no
 * index, no referrer) hold it, taking them along. 2.2 cannot delete a tag alone at all.
 */
export function chooseTagMethod(a: TagAction, ctx: TagMethodContext): TagMethodChoice {
  const { caps } = ctx;
  if (caps.tagDelete) return { method: "tag-delete" };
  const key = a.current ? `${a.repository}@${a.current}` : undefined;
  const placeholder = caps.placeholder !== undefined;
  if (key && ctx.deletedRevisions.has(key) && !ctx.schema1.has(key)) return { method: "digest" };
  if (key && ctx.options.cascadeTags && !ctx.schema1.has(key) && !ctx.keptOtherwise.has(key)) {
    const cascades = ctx.keptTags.get(key) ?? [];
    if (cascades.length > 0 && caps.untagsOnDigestDelete) return { method: "digest", cascades };
  }
  if (placeholder) return { method: "placeholder" };
  if (!key) return { blocked: "the registry names no digest for this tag, and cannot delete a tag alone" };
  if (ctx.schema1.has(key))
    return {
      blocked: `${a.current} was read as schema1 (possibly a registry rewrite): never deleted by digest, and this registry cannot delete a tag alone`,
    };
  const kept = [
    ...(ctx.keptTags.get(key) ?? []).map((t) => `tagged '${t}'`),
    ...(ctx.keptOtherwise.get(key) ?? []),
  ];
  return {
    blocked: caps.untagsOnDigestDelete
      ? `this registry deletes tags only by digest and the plan keeps ${a.current} (${kept.join("; ")})`
      : `registry 2.2 deletes only by digest, which would leave the kept ${a.current} (${kept.join("; ")}) unreachable, and it cannot delete a tag alone: delete it offline (regsweep delete --storage)`,
  };
}

/** The lookups `chooseTagMethod` needs, from a plan. */
export function tagMethodContext(
  plan: Plan,
  caps: RegistryCapabilities,
  options: TagMethodOptions = {},
): TagMethodContext {
  const deletedRevisions = new Set<string>();
  const deletedTags = new Set<string>();
  for (const a of plan.actions) {
    if (a.type === "revision") deletedRevisions.add(`${a.repository}@${a.digest}`);
    if (a.type === "tag") deletedTags.add(`${a.repository}:${a.tag}`);
  }
  const schema1 = new Set(
    plan.findings.flatMap((f) =>
      f.code === "manifest.schema1" && f.digest ? [`${f.repository}@${f.digest}`] : [],
    ),
  );
  const keptOtherwise = new Map<string, string[]>();
  for (const k of plan.kept ?? []) {
    if (k.code === "kept.tagged") continue;
    const key = `${k.repository}@${k.digest}`;
    keptOtherwise.set(key, [...(keptOtherwise.get(key) ?? []), k.reason]);
  }
  const keptTags = new Map<string, string[]>();
  for (const snap of plan.snapshots) {
    for (const [tag, digest] of Object.entries(snap.tags)) {
      if (!digest || deletedTags.has(`${snap.name}:${tag}`)) continue;
      const key = `${snap.name}@${digest}`;
      keptTags.set(key, [...(keptTags.get(key) ?? []), tag]);
    }
  }
  return { caps, options, deletedRevisions, schema1, keptOtherwise, keptTags };
}

/**
 * Names, on every tag action of an online plan, the method the API will use (or why it cannot), and records
 * the probe's findings in the plan: what a dry run prints is what apply does. Pure.
 */
export function planTagMethods(plan: Plan, caps: RegistryCapabilities, options: TagMethodOptions = {}): Plan {
  const ctx = tagMethodContext(plan, caps, options);
  const actions = plan.actions.map((a): PlanAction => {
    if (a.type !== "tag") return a;
    const { method: _m, cascades: _c, blocked: _b, ...rest } = a;
    const choice = chooseTagMethod(a, ctx);
    return choice.method
      ? { ...rest, method: choice.method, ...(choice.cascades ? { cascades: choice.cascades } : {}) }
      : { ...rest, blocked: choice.blocked };
  });
  return { ...plan, actions, registry: caps };
}
