// A re-baseline (SPEC §8, the way out of a broken chain): an approver of an environment accepts its
// approval chain on a gated branch up to a commit by closing an issue that names them — one of the
// app's exception issues, or one they opened. The app seals the acceptance as a `rebaseline`
// record, and the walk of a later chain stops there as at an approved deployment. Pure.
import type { TeamRef } from "../engine/facts-needed.js";
import { approverVia, directoryOf, listedByLogin } from "../engine/approvers.js";
import { sortByCodePoint } from "../policy/code-point-order.js";
import type { Permission, Policy } from "../policy/types.js";
import type { ChainSummary } from "./verdict-record.js";
import type { AUDIT_RECORD_VERSION, PolicyVersion, Seal } from "./record.js";

/** The line an issue carries to ask for a re-baseline: `compliance-gate rebaseline: <environment> <branch> <sha>`. */
export function rebaselineLine(environment: string, branch: string, sha: string): string {
  return `compliance-gate rebaseline: ${environment} ${branch} ${sha}`;
}

const LINE = /^compliance-gate rebaseline: (\S+) (\S+) ([0-9a-f]{40})$/;

/** What an issue asks to accept. */
export interface RebaselineAsk {
  environment: string;
  branch: string;
  sha: string;
}

/** Issue bodies read at most, in characters: the line is near the top of the app's issues and of a person's. */
const MAX_BODY_SCANNED = 65_536;

/**
 * The re-baseline an issue body asks for: exactly one line of the form, alone on its line (inside
 * a code block or not). None, or several that differ: null — an issue asks for one acceptance.
 */
export function rebaselineAsked(body: string | null | undefined): RebaselineAsk | null {
  if (typeof body !== "string") return null;
  const asks = new Map<string, RebaselineAsk>();
  for (const raw of body.slice(0, MAX_BODY_SCANNED).split(/\r\n|\r|\n/)) {
    const m = LINE.exec(raw.trim());
    if (m) asks.set(m[0], { environment: m[1] as string, branch: m[2] as string, sha: m[3] as string });
  }
  return asks.size === 1 ? ([...asks.values()][0] as RebaselineAsk) : null;
}

/** The teams a policy's rules that need approvals name: whose members may re-baseline. */
export function rebaselineTeams(policy: Policy, owner: string): TeamRef[] {
  const teams = new Map<string, TeamRef>();
  for (const rule of policy.rules.filter((r) => r.approvals > 0)) {
    for (const team of rule.approvers.teams) {
      const slash = team.indexOf("/");
      const ref = slash === -1 ? { key: `${owner}/${team}`, org: owner, slug: team } : { key: team, org: team.slice(0, slash), slug: team.slice(slash + 1) };
      teams.set(ref.key, ref);
    }
  }
  return [...teams.values()];
}

/** Who closed the issue, and what the directory says of them. */
export interface Closer {
  login: string;
  /** A bot counts only when a rule names it by login, as for approvals. */
  bot: boolean;
  /** Members of the teams rebaselineTeams named, by TeamRef key. */
  teams: Record<string, string[]>;
  permission: Permission | null;
}

/**
 * Why the closer may accept the environment's chain: an approver of one of its rules that need
 * approvals — `rule: via` for each — by the policy of the default branch. Empty: they may not.
 */
export function rebaselineVia(policy: Policy, repository: string, closer: Closer): string[] {
  const dir = directoryOf({ repository, teams: closer.teams, permissions: closer.permission !== null ? { [closer.login]: closer.permission } : {} });
  return policy.rules
    .filter((r) => r.approvals > 0 && (!closer.bot || listedByLogin(r.approvers, closer.login)))
    .flatMap((r) => approverVia(r.approvers, closer.login, dir).map((via) => `${r.name}: ${via}`));
}

/** The people behind the changes of broken links a re-baseline would accept, as their records name them. */
export function peopleBehind(records: readonly Record<string, unknown>[]): string[] {
  const people = new Set<string>();
  const add = (login: unknown): void => {
    if (typeof login === "string" && login !== "") people.add(login.toLowerCase());
  };
  for (const r of records) {
    add(r.author);
    add(r.merged_by);
    add(r.pusher);
    if (Array.isArray(r.contributors)) r.contributors.forEach(add);
    if (Array.isArray(r.commits)) for (const c of r.commits as { author?: unknown; committer?: unknown }[]) [c?.author, c?.committer].forEach(add);
  }
  return sortByCodePoint([...people]);
}

/** The sealed acceptance of an environment's chain on a branch up to a commit. */
export interface RebaselineRecordBody {
  version: typeof AUDIT_RECORD_VERSION;
  kind: "rebaseline";
  repository: string;
  /** Always null: present so every record has the same columns. */
  pull_request: null;
  environment: string;
  branch: string;
  /** The commit accepted: it and everything before it on the branch's first-parent line. */
  sha: string;
  /** The issue whose closing accepted it. */
  issue: number;
  accepted_by: string;
  /** Why they may: `rule: via` (see rebaselineVia). */
  via: string[];
  /** When the issue was closed (GitHub's time). */
  accepted_at: string;
  /** The chain up to the commit when it was accepted, and what was broken in it: what was accepted. */
  chain: ChainSummary;
  accepted_problems: string[];
  /** The policies that said who may accept: the default branch's. */
  policy: PolicyVersion;
  compliant: true;
  evaluated_at: string;
}

export type RebaselineRecord = RebaselineRecordBody & Seal;
