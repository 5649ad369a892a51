// The ports of enforcement (enforce-ports.ts) wired to the adapters over GitHub's REST API, for one repository and
// one client: rulesets, branch rules and classic protection; the policies through the app's
// facts gatherer (its one policy cache); the exception issues that record enforcement gaps.
import type { KeyObject } from "node:crypto";
import type { EnforcementPorts } from "./enforce-ports.js";
import { gapFlagOf, gapsIn, type GapFlag } from "../audit/enforcement-gap.js";
import { postAuditCheck } from "../github/audit-check.js";
import { mayBeOwnRuleset, type FoundBranch, type FoundRuleset } from "../engine/enforcement.js";
import { listAppIssuesSince, listAuditCheckRuns, MAX_APP_ISSUE_PAGES, readRepository } from "../github/audit-population.js";
import { readClassicProtection, requireClassicChecks } from "../github/branch-protection.js";
import { GatherFailed, GitHubSession, type GitHubClient } from "../github/client.js";
import { openExceptionIssue } from "../github/exception-issues.js";
import type { FactsGatherer } from "../github/facts.js";
import type { LruCache } from "../github/lru-cache.js";
import { activeChecksOn, createRuleset, deleteRuleset, listRulesets, readRuleset, updateRuleset } from "../github/rulesets.js";

export interface EnforcementGitHubOptions {
  octokit: GitHubClient;
  owner: string;
  repo: string;
  /** The delivery's default branch, which saves reading the repository. */
  defaultBranch?: string;
  gatherer: FactsGatherer;
  /** This app's bot login: only its issues hold gaps. */
  botLogin: () => Promise<string>;
  /** Repositories whose compliance-exception label exists. */
  labels: LruCache<string, true>;
}

/** The enforcement ports of one repository, over one client. */
export function enforcementGitHub(options: EnforcementGitHubOptions): EnforcementPorts {
  const { octokit, owner, repo, gatherer } = options;
  const gh = new GitHubSession(octokit);
  let requestsElsewhere = 0;
  const defaultBranchOf = async (): Promise<string> => options.defaultBranch ?? (await readRepository(gh, owner, repo)).defaultBranch;
  return {
    repository: { owner, repo },
    requests: () => gh.count.total + requestsElsewhere,
    policies: {
      defaultBranch: defaultBranchOf,
      async policiesOn(branch) {
        const probe = await gatherer.probe(octokit, { owner, repo, base: branch });
        requestsElsewhere += probe.requests.total;
        if (probe.kind === "policies") return { kind: "policies", policies: probe.policies, commit: probe.policyCommit };
        if (probe.kind === "no_policies") return { kind: "no_policies", commit: probe.policyCommit };
        // The gatherer says failures in words: a 404 on the branch's tip is a branch not created yet.
        if (/\berror 404 while reading the tip\b/.test(probe.error)) return { kind: "no_branch" };
        throw new GatherFailed(probe.error);
      },
    },
    rules: {
      async find(literalBranches, appId) {
        const summaries = await listRulesets(gh, owner, repo);
        const branches: FoundBranch[] = [];
        for (const branch of literalBranches) {
          branches.push({ branch, active: await activeChecksOn(gh, owner, repo, branch), classic: await readClassicProtection(gh, owner, repo, branch) });
        }
        // In full: this app's rulesets, and every other (the organization's too) that requires its checks
        // on a branch: its bypass actors, exclusions and exemptions decide whether it counts.
        const wanted = new Set(summaries.filter((s) => mayBeOwnRuleset(s, appId)).map((s) => s.id));
        for (const b of branches) for (const rule of b.active) if (rule.appId === appId) wanted.add(rule.rulesetId);
        const rulesets: FoundRuleset[] = [];
        for (const summary of summaries) {
          if (wanted.has(summary.id)) rulesets.push(await readRuleset(gh, owner, repo, summary.id));
          else rulesets.push({ ...summary, target: null, include: [], exclude: [], bypass: null, checks: null, strict: false, skipOnCreate: false, otherRules: [], updatedAt: null });
        }
        return { rulesets, branches };
      },
      async apply(change, appId) {
        switch (change.kind) {
          case "create_ruleset":
            await createRuleset(gh, owner, repo, change.spec, appId);
            return;
          case "update_ruleset":
            await updateRuleset(gh, owner, repo, change.id, change.spec, appId);
            return;
          case "delete_ruleset":
            await deleteRuleset(gh, owner, repo, change.id, change.name);
            return;
          case "classic_checks":
            await requireClassicChecks(gh, owner, repo, change.branch, change.require, appId, change.strict);
            return;
        }
      },
    },
    issues: {
      async open(request) {
        const written = await openExceptionIssue(gh, { owner, repo, login: await options.botLogin(), labels: options.labels, ...request });
        return written.issue;
      },
    },
    evidence: {
      async keep({ gap, branches, title, text }) {
        const on: string[] = [];
        const post = async (branch: string): Promise<boolean> => {
          const tip = await gh.request("GET /repos/{owner}/{repo}/commits/{ref}", { owner, repo, ref: `heads/${branch}`, per_page: 1 }, `reading the tip of ${branch}`, { accept: [404, 422] });
          const sha = (tip.data as { sha?: unknown } | undefined)?.sha;
          if (tip.status >= 300 || typeof sha !== "string") return false;
          await postAuditCheck(gh, { owner, repo, sha, compliant: false, neutral: true, title, summary: title, text, now: Date.parse(gap.until), externalId: `enforcement:${branch}:${gap.from ?? "unknown"}`.slice(0, 1000) });
          on.push(sha);
          return true;
        };
        for (const branch of branches.slice(0, MAX_EVIDENCE_BRANCHES)) await post(branch);
        if (on.length === 0) await post(await defaultBranchOf());
        return on;
      },
      async landed(branch, from, until) {
        const listed = await gh.list<{ sha?: unknown; commit?: { message?: unknown; committer?: { date?: unknown } | null } | null }>(
          "GET /repos/{owner}/{repo}/commits",
          { owner, repo, sha: branch, since: from, until },
          `listing the commits of ${branch} in the gap`,
          { maxPages: 1 },
        );
        const commits = listed.items.flatMap((c) =>
          typeof c.sha === "string"
            ? [{ sha: c.sha, title: String(c.commit?.message ?? "").split("\n")[0]?.slice(0, 200) ?? "", at: typeof c.commit?.committer?.date === "string" ? c.commit.committer.date : null }]
            : [],
        );
        return { commits, complete: listed.complete };
      },
    },
  };
}

/** Branches whose tips get a copy of a gap's record at most: the record is the same on each. */
const MAX_EVIDENCE_BRANCHES = 10;

/**
 * The enforcement gaps a change on `branch` at `at` (epoch ms) may have landed in (SPEC §5): those
 * recorded in the issues the app opened since (a gap's issue is opened when it ends, after the
 * change; listed by author, newest first) and in the compliance/audit check runs of the branch's
 * tip (the copy nobody can edit or delete, there when issues are turned off). Every record is
 * verified; one that is not, or a listing that could not be read whole, is a problem to say.
 */
export async function enforcementGapAt(
  gh: GitHubSession,
  request: { owner: string; repo: string; login: string; branch: string; at: number; publicKey?: KeyObject },
): Promise<{ flag: GapFlag | null; problems: string[] }> {
  const { owner, repo } = request;
  const repository = `${owner}/${repo}`;
  const issues = await listAppIssuesSince(gh, { owner, repo, repository, creator: request.login, since: request.at });
  const runs = await listAuditCheckRuns(gh, owner, repo, `heads/${request.branch}`);
  const found = gapsIn({ issues: issues.items, runs: runs.items }, { names: [repository], app: request.login, ...(request.publicKey ? { publicKey: request.publicKey } : {}) });
  const problems = [...found.problems];
  if (!issues.complete) problems.push(`the enforcement gaps could not all be read: ${request.login} opened more than ${MAX_APP_ISSUE_PAGES * 100} issues since the merge`);
  return { flag: gapFlagOf(found.gaps, request.branch, request.at), problems };
}
