// Repository rulesets and the active rules of a branch (SPEC §5), read into the engine's types and
// written from its plan: GET …/rulesets (with the organization's), GET …/rulesets/{id}, GET
// …/rules/branches/{branch}, and POST / PUT / DELETE of this app's own rulesets.
import { OWN_RULES, type ActiveCheck, type BypassActor, type FoundRuleset, type RequiredCheck, type RulesetSpec } from "../engine/enforcement.js";
import type { GitHubSession } from "./client.js";

/** A ruleset as the list shows it: no rules, conditions or bypass actors. */
export interface RulesetSummary {
  id: number;
  name: string;
  source: string;
  enforcement: string;
}

/** Pages read at most: 100 rulesets a page, 100 rules a page. */
const MAX_PAGES = 10;

interface ApiRuleset {
  id?: unknown;
  name?: unknown;
  target?: unknown;
  source_type?: unknown;
  enforcement?: unknown;
  bypass_actors?: unknown;
  conditions?: { ref_name?: { include?: unknown; exclude?: unknown } } | null;
  rules?: unknown;
  updated_at?: unknown;
}

interface ApiRule {
  type?: unknown;
  ruleset_source_type?: unknown;
  ruleset_id?: unknown;
  parameters?: { required_status_checks?: unknown; strict_required_status_checks_policy?: unknown; do_not_enforce_on_create?: unknown };
}

const strings = (value: unknown): string[] => (Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : []);

/** The checks of a `required_status_checks` rule's parameters; a check without `integration_id` comes from any app. */
function checksOf(value: unknown): RequiredCheck[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((c: { context?: unknown; integration_id?: unknown }) =>
    typeof c?.context === "string" ? [{ context: c.context, appId: typeof c.integration_id === "number" ? c.integration_id : null }] : [],
  );
}

/** Every ruleset that applies to the repository, its organization's included. */
export async function listRulesets(gh: GitHubSession, owner: string, repo: string): Promise<RulesetSummary[]> {
  const listed = await gh.list<ApiRuleset>(
    "GET /repos/{owner}/{repo}/rulesets",
    { owner, repo, includes_parents: true },
    `listing the rulesets of ${owner}/${repo}`,
    { maxPages: MAX_PAGES },
  );
  return listed.items.flatMap((r) =>
    typeof r.id === "number" && typeof r.name === "string"
      ? [{ id: r.id, name: r.name, source: typeof r.source_type === "string" ? r.source_type : "Repository", enforcement: String(r.enforcement ?? "") }]
      : [],
  );
}

/** One ruleset in full. Its bypass actors are null when GitHub leaves them out (the app cannot edit it). */
export async function readRuleset(gh: GitHubSession, owner: string, repo: string, id: number): Promise<FoundRuleset> {
  const response = await gh.request(
    "GET /repos/{owner}/{repo}/rulesets/{ruleset_id}",
    { owner, repo, ruleset_id: id, includes_parents: true },
    `reading ruleset ${id} of ${owner}/${repo}`,
  );
  return rulesetOf(response.data as ApiRuleset, id);
}

/** A ruleset from GitHub's JSON. */
export function rulesetOf(data: ApiRuleset, id: number): FoundRuleset {
  const rules = Array.isArray(data.rules) ? (data.rules as ApiRule[]) : [];
  const statusRule = rules.find((r) => r.type === "required_status_checks");
  const bypass = Array.isArray(data.bypass_actors)
    ? (data.bypass_actors as { actor_id?: unknown; actor_type?: unknown; bypass_mode?: unknown }[]).map(
        (b): BypassActor => ({ type: String(b.actor_type ?? "?"), id: typeof b.actor_id === "number" ? b.actor_id : null, mode: String(b.bypass_mode ?? "always") }),
      )
    : null;
  return {
    id: typeof data.id === "number" ? data.id : id,
    name: typeof data.name === "string" ? data.name : "",
    source: typeof data.source_type === "string" ? data.source_type : "Repository",
    enforcement: String(data.enforcement ?? ""),
    target: typeof data.target === "string" ? data.target : null,
    include: strings(data.conditions?.ref_name?.include),
    exclude: strings(data.conditions?.ref_name?.exclude),
    bypass,
    checks: statusRule ? checksOf(statusRule.parameters?.required_status_checks) : null,
    strict: statusRule?.parameters?.strict_required_status_checks_policy === true,
    skipOnCreate: statusRule?.parameters?.do_not_enforce_on_create === true,
    otherRules: rules.filter((r) => r.type !== "required_status_checks"),
    updatedAt: typeof data.updated_at === "string" ? data.updated_at : null,
  };
}

/** The required checks of the active rules on a branch, with the ruleset each comes from. */
export async function activeChecksOn(gh: GitHubSession, owner: string, repo: string, branch: string): Promise<ActiveCheck[]> {
  const listed = await gh.list<ApiRule>(
    "GET /repos/{owner}/{repo}/rules/branches/{branch}",
    { owner, repo, branch },
    `reading the rules of ${branch}`,
    { maxPages: MAX_PAGES },
  );
  return listed.items.flatMap((rule) =>
    rule.type === "required_status_checks" && typeof rule.ruleset_id === "number"
      ? checksOf(rule.parameters?.required_status_checks).map((c) => ({ ...c, rulesetId: rule.ruleset_id as number, source: String(rule.ruleset_source_type ?? "Repository") }))
      : [],
  );
}

/**
 * The body of this app's ruleset: active, on branches, nobody bypasses, the branch may be neither
 * deleted nor force-pushed, its checks pinned to the app — also when a branch is created.
 */
export function rulesetBody(spec: RulesetSpec, appId: number): Record<string, unknown> {
  const ours = new Set<unknown>([...OWN_RULES, "required_status_checks"]);
  return {
    name: spec.name,
    target: "branch",
    enforcement: "active",
    bypass_actors: [],
    conditions: { ref_name: { include: spec.include, exclude: [] } },
    rules: [
      ...spec.otherRules.filter((rule) => !ours.has((rule as { type?: unknown } | null)?.type)),
      ...OWN_RULES.map((type) => ({ type })),
      {
        type: "required_status_checks",
        parameters: {
          strict_required_status_checks_policy: false,
          do_not_enforce_on_create: false,
          required_status_checks: spec.checks.map((context) => ({ context, integration_id: appId })),
        },
      },
    ],
  };
}

/** Creates this app's ruleset; returns its id. */
export async function createRuleset(gh: GitHubSession, owner: string, repo: string, spec: RulesetSpec, appId: number): Promise<number> {
  const response = await gh.request("POST /repos/{owner}/{repo}/rulesets", { owner, repo, ...rulesetBody(spec, appId) }, `creating the ruleset ${spec.name}`);
  return Number((response.data as { id?: unknown }).id);
}

/** Replaces this app's ruleset with the spec. */
export async function updateRuleset(gh: GitHubSession, owner: string, repo: string, id: number, spec: RulesetSpec, appId: number): Promise<void> {
  await gh.request("PUT /repos/{owner}/{repo}/rulesets/{ruleset_id}", { owner, repo, ruleset_id: id, ...rulesetBody(spec, appId) }, `updating the ruleset ${spec.name}`);
}

/** Deletes this app's ruleset; one already gone is as good as deleted. */
export async function deleteRuleset(gh: GitHubSession, owner: string, repo: string, id: number, name: string): Promise<void> {
  await gh.request("DELETE /repos/{owner}/{repo}/rulesets/{ruleset_id}", { owner, repo, ruleset_id: id }, `deleting the ruleset ${name}`, { accept: [404] });
}
