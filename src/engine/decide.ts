// The decision (SPEC §2): for each environment judging the base branch, whether the PR's approvals
// satisfy its policy. Pure: everything it knows is in the policies and the facts.
import { sortByCodePoint } from "../policy/code-point-order.js";
import type { Approvers, Options, Policy, PolicyError, PolicySet, Rule } from "../policy/types.js";
import type { Decision, EnvironmentDecision, Facts, Needed, RuleDecision, BreakGlassDecision } from "./types.js";
import { countApprovals, judgedOf, sortLogins, stancesOf, type Judged, type Stance } from "./approvals.js";
import { approverVia, directoryOf, displayTeam, loginKey } from "./approvers.js";
import { checkNameOf, judgingEnvironments, type EnvironmentSources } from "./environments.js";
import { activeFreeze } from "./freeze.js";
import { pathsByPolicy, touchedPaths, type PolicyPaths } from "./paths.js";
import { TRUNCATED, titleOf } from "./title.js";

/** What every environment of one decision shares. */
interface Context {
  facts: Facts;
  stances: Stance[];
  judged: Judged;
}

const sorted = (strings: Iterable<string>): string[] => sortByCodePoint([...strings]);

/** An environment decision with nothing decided yet; `finish` fills the title. */
function skeleton(environment: string, file: string, description: string | undefined): EnvironmentDecision {
  return {
    environment,
    check: checkNameOf(environment),
    file,
    ...(description !== undefined ? { description } : {}),
    state: "error",
    break_glass: false,
    title: "",
    files: [],
    uncovered: [],
    freeze: null,
    rules: [],
    changes_requested: [],
    unlinked: [],
    unlinked_blocks: false,
    errors: [],
  };
}

function finish(env: EnvironmentDecision): EnvironmentDecision {
  env.title = titleOf(env);
  return env;
}

/** Who could still approve: listed users who have not counted and could, every team, the permission. */
function neededOf(approvers: Approvers, options: Options, counted: Set<string>, ctx: Context): Needed {
  const { judged } = ctx;
  const owner = judged.dir.owner;
  const users = approvers.users.filter((u) => {
    const key = loginKey(u);
    if (counted.has(key)) return false;
    if (key === judged.author) return options.allow_author;
    if (judged.contributors.has(key) && !options.allow_contributors) return false;
    return true;
  });
  return {
    users: sortLogins(new Set(users)),
    teams: sorted(new Set(approvers.teams.map((t) => displayTeam(t, owner)))),
    ...(approvers.permission !== undefined ? { permission: approvers.permission } : {}),
  };
}

const NOBODY: Needed = { users: [], teams: [] };

/** SPEC §2 step 8 for one applicable rule. */
function decideRule(rule: Rule, files: string[], options: Options, ctx: Context): RuleDecision {
  const { counted, ignored } = countApprovals(ctx.stances, rule.approvers, options, ctx.judged);
  const satisfied = counted.length >= rule.approvals;
  return {
    name: rule.name,
    required: rule.approvals,
    satisfied,
    missing: Math.max(0, rule.approvals - counted.length),
    files,
    approved_by: counted.map((c) => c.login),
    approvals: counted,
    ignored,
    needed: satisfied ? { ...NOBODY } : neededOf(rule.approvers, options, new Set(counted.map((c) => loginKey(c.login))), ctx),
  };
}

/** SPEC §2 step 11's count: break-glass approvals are judged like a rule's. */
function decideBreakGlass(policy: Policy, ctx: Context): BreakGlassDecision | undefined {
  const bg = policy.break_glass;
  if (!bg) return undefined;
  const { counted, ignored } = countApprovals(ctx.stances, bg.approvers, policy.options, ctx.judged);
  const satisfied = counted.length >= bg.approvals;
  const label = loginKey(bg.label);
  return {
    label: bg.label,
    labelled: ctx.facts.labels.some((l) => loginKey(l) === label),
    required: bg.approvals,
    satisfied,
    missing: Math.max(0, bg.approvals - counted.length),
    approved_by: counted.map((c) => c.login),
    approvals: counted,
    ignored,
    needed: satisfied
      ? { ...NOBODY }
      : neededOf(bg.approvers, policy.options, new Set(counted.map((c) => loginKey(c.login))), ctx),
  };
}

/** SPEC §2 steps 2-11 for one valid policy, given its touched paths (sorted). */
function decidePolicy(policy: Policy, paths: PolicyPaths, ctx: Context): EnvironmentDecision {
  const env = skeleton(policy.environment, policy.file, policy.description);
  env.files = paths.inScope;
  const breakGlass = decideBreakGlass(policy, ctx);
  if (breakGlass) env.break_glass_detail = breakGlass;

  if (ctx.facts.files_truncated) {
    env.state = "error";
    env.errors = [{ file: policy.file, field: "", message: TRUNCATED }];
    return finish(env);
  }
  if (env.files.length === 0) {
    env.state = "not_affected";
    return finish(env);
  }
  // Who wrote an unlinked identity's commit cannot be told, so nor can it be told that they did
  // not approve it: with `block` that is a blocker like any other (break glass still overrides).
  env.unlinked = ctx.facts.unlinked.map((u) => ({ ...u }));
  env.unlinked_blocks = policy.options.unlinked_commits === "block" && env.unlinked.length > 0;

  const applicable: [Rule, string[]][] = [];
  const covered = new Set<string>();
  policy.rules.forEach((rule, i) => {
    const files = paths.byRule[i] ?? [];
    if (files.length === 0) return;
    applicable.push([rule, files]);
    for (const f of files) covered.add(f);
  });
  env.uncovered = env.files.filter((f) => !covered.has(f));

  try {
    env.freeze = activeFreeze(policy.freeze, ctx.facts.now);
  } catch (e) {
    env.state = "error";
    env.errors = [{ file: policy.file, field: "freeze", message: e instanceof Error ? e.message : String(e) }];
    return finish(env);
  }

  env.rules = applicable.map(([rule, files]) => decideRule(rule, files, policy.options, ctx));

  if (policy.options.block_on_changes_requested) {
    const requesting = ctx.stances.filter(
      (s) =>
        s.review.state === "CHANGES_REQUESTED" &&
        applicable.some(([rule]) => approverVia(rule.approvers, s.login, ctx.judged.dir).length > 0),
    );
    env.changes_requested = sortLogins(requesting.map((s) => s.login));
  }

  const blocked = env.uncovered.length > 0 || env.freeze !== null || env.changes_requested.length > 0 || env.unlinked_blocks;
  env.state = blocked ? "blocked" : env.rules.every((r) => r.satisfied) ? "approved" : "pending";

  if (env.state !== "approved" && breakGlass?.labelled && breakGlass.satisfied) {
    env.state = "approved";
    env.break_glass = true;
  }
  return finish(env);
}

/** The error decision of an environment whose files cannot be used (invalid, duplicated, uncompilable). */
function decideBroken(set: PolicySet, src: EnvironmentSources, extra: PolicyError[]): EnvironmentDecision {
  const valid = src.policies.map((i) => set.policies[i] as Policy);
  const files = [...src.invalid.map((p) => p.file), ...valid.map((p) => p.file)];
  const env = skeleton(src.environment, [...new Set(files)].join(", "), valid[0]?.description);
  const errors = src.invalid.flatMap((p) => p.errors);
  if (files.length > 1) {
    for (const p of valid) {
      const others = files.filter((f) => f !== p.file).join(", ");
      errors.push({ file: p.file, field: "environment", message: `environment "${src.environment}" is also named by ${others}` });
    }
  }
  env.errors = [...errors, ...extra];
  if (env.errors.length === 0) {
    env.errors = [{ file: env.file, field: "", message: `environment "${src.environment}" cannot be evaluated` }];
  }
  env.state = "error";
  return finish(env);
}

/** Decides, for every environment judging `facts.base`, whether the PR may merge (SPEC §2); environments sorted by name. */
export function decide(set: PolicySet, facts: Facts): Decision {
  const dir = directoryOf(facts);
  const ctx: Context = { facts, stances: stancesOf(facts.reviews), judged: judgedOf(facts, dir) };

  const { reported, evaluated } = judgingEnvironments(set, facts.base, facts.default_branch);

  // sorted once, so that every list of paths drawn from it is sorted too
  const touched = sortByCodePoint(touchedPaths(facts.files));
  const paths = evaluated.size > 0 ? pathsByPolicy(set.policies, touched, evaluated) : [];
  const environments = reported.map((src) => {
    const only = src.policies[0];
    if (only === undefined || !evaluated.has(only)) return decideBroken(set, src, []);
    const policy = set.policies[only] as Policy;
    const found = paths[only] as PolicyPaths;
    // globs that cannot be compiled matched nothing: the environment fails closed
    if (found.globError !== undefined) return decideBroken(set, src, [{ file: policy.file, field: "", message: found.globError }]);
    return decidePolicy(policy, found, ctx);
  });
  return { environments };
}
