// A fake GitHub at the HTTP boundary (nock) and builders for the facts gatherer's tests.
import { createRequire } from "node:module";
import nock from "nock";
import { ProbotOctokit } from "probot";
import type { Policy, PolicySet } from "../../src/policy/types.js";
import type { PolicyReader } from "../../src/github/policy-source.js";

/** A pull request as a webhook payload carries it (the fields the tests set). */
type PullRequestLike = {
  number: number;
  user: { login: string } | null;
  head: { sha: string };
  base: { ref: string; repo: { default_branch?: string } };
  labels?: { name?: string | null }[];
  changed_files?: number;
  commits?: number;
};

export const API = "https://api.github.com";
export const OWNER = "acme";
export const REPO = "gitops";
export const NUMBER = 42;
export const HEAD = "h".repeat(40);
export const TIP = "b".repeat(40);
export const REPO_PATH = `/repos/${OWNER}/${REPO}`;

/** Probot's Octokit as the app gets it, without retries or throttling. */
export function probotOctokit(): InstanceType<typeof ProbotOctokit> {
  const TestOctokit = ProbotOctokit.defaults((options: Record<string, unknown>) => ({
    ...options,
    retry: { enabled: false },
    throttle: { enabled: false },
  }));
  return new TestOctokit({ auth: { token: "test" } });
}

interface WebhookDefinition {
  name: string;
  examples: { action: string; pull_request: Record<string, unknown> }[];
}

/** A real `pull_request.opened` payload's pull request, moved to acme/gitops#42. */
export function pullRequestPayload(overrides: { changed_files?: number; commits?: number; labels?: string[] } = {}): PullRequestLike {
  const definitions = createRequire(import.meta.url)("@octokit/webhooks-examples") as WebhookDefinition[];
  const example = definitions.find((d) => d.name === "pull_request")?.examples.find((e) => e.action === "opened");
  if (!example) throw new Error("no pull_request.opened example");
  const pull = structuredClone(example.pull_request) as unknown as PullRequestLike & {
    head: { sha: string; ref: string };
    base: { ref: string; sha: string; repo: { default_branch: string; full_name: string } };
  };
  pull.number = NUMBER;
  pull.user = { ...(pull.user ?? {}), login: "carol" };
  pull.head.sha = HEAD;
  pull.base.ref = "main";
  pull.base.sha = "s".repeat(40); // stale on purpose: policies come from the branch tip
  pull.base.repo.default_branch = "main";
  pull.base.repo.full_name = `${OWNER}/${REPO}`;
  pull.changed_files = overrides.changed_files ?? 1;
  pull.commits = overrides.commits ?? 2;
  pull.labels = (overrides.labels ?? ["emergency"]).map((name, i) => ({ id: i, name, color: "ff0000" }));
  return pull;
}

/** A valid policy with every default filled in. */
export function policy(environment: string, approvers: Partial<Policy["rules"][number]["approvers"]>): Policy {
  return {
    file: `policies/${environment}.yml`,
    environment,
    scope: { paths: [`clusters/${environment}/**`], exclude: [] },
    rules: [
      {
        name: "approve",
        paths: ["**"],
        exclude: [],
        approvals: 1,
        approvers: { teams: [], users: [], ...approvers },
      },
    ],
    options: {
      allow_author: false,
      allow_contributors: false,
      dismiss_stale: true,
      block_on_changes_requested: true,
      request_reviews: false,
      unlinked_commits: "warn",
    },
    freeze: [],
    audit: { comment: true, issue_on_exception: true, deployment: false },
    enforce: { required_check: false },
    deploy: { environments: [environment] },
    verify: { statuses: [], deployments: [] },
  };
}

/**
 * A stand-in for the policy module: each "policy file" holds a Policy as JSON, so tests
 * control exactly which teams and permissions the policies name. Counts its calls.
 */
export function fakePolicyReader(): PolicyReader & { loads: number } {
  const reader = {
    loads: 0,
    loadPolicySet(files: { path: string; text: string }[]): PolicySet {
      reader.loads += 1;
      return { policies: files.map((f) => ({ ...(JSON.parse(f.text) as Policy), file: f.path })), invalid: [] };
    },
    isPolicyFile(path: string, dir = "policies"): boolean {
      return path.startsWith(`${dir}/`) && /^[^/]+\.ya?ml$/.test(path.slice(dir.length + 1));
    },
  };
  return reader;
}

export function blobSha(text: string): string {
  let hash = 0;
  for (const ch of text) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
  return hash.toString(16).padStart(40, "0");
}

/** Replies to each page of a list endpoint with 100 items and GitHub's Link header. */
export function replyPages(
  scope: nock.Scope,
  path: string,
  items: unknown[],
  options: { query?: Record<string, string>; pages?: number; wrap?: (page: unknown[]) => nock.Body } = {},
): void {
  const pages = options.pages ?? Math.max(1, Math.ceil(items.length / 100));
  for (let page = 1; page <= pages; page += 1) {
    const slice = items.slice((page - 1) * 100, page * 100);
    const headers: Record<string, string> = {};
    // GitHub announces a further page with Link: rel="next" (and rel="last", which the gatherer ignores).
    if (page < pages || items.length > page * 100) {
      headers["link"] = `<${API}${path}?per_page=100&page=${page + 1}>; rel="next", <${API}${path}?per_page=100&page=${pages}>; rel="last"`;
    }
    scope
      .get(path)
      .query({ ...(options.query ?? {}), per_page: "100", page: String(page) })
      .reply(200, options.wrap ? options.wrap(slice) : (slice as nock.Body), headers);
  }
}

export interface RepoState {
  tip?: string;
  etag?: string;
  /** Policy files at the tip, by file name; undefined → no policies/ folder. */
  policies?: Record<string, string>;
}

/** Mocks the base branch tip and the policy folder at it (a cold read). */
export function mockPolicies(scope: nock.Scope, state: RepoState): void {
  const tip = state.tip ?? TIP;
  scope.get(`${REPO_PATH}/git/ref/heads%2Fmain`).reply(
    200,
    { ref: "refs/heads/main", object: { sha: tip, type: "commit" } },
    { etag: state.etag ?? `W/"etag-${tip}"` },
  );
  const contents = scope.get(`${REPO_PATH}/contents/policies`).query({ ref: tip });
  if (state.policies === undefined) {
    contents.reply(404, { message: "Not Found" });
    return;
  }
  const entries = Object.entries(state.policies).map(([name, text]) => ({
    type: "file",
    name,
    path: `policies/${name}`,
    sha: blobSha(text),
  }));
  entries.push({ type: "dir", name: "tests", path: "policies/tests", sha: "d".repeat(40) });
  entries.push({ type: "file", name: "README.md", path: "policies/README.md", sha: "e".repeat(40) });
  contents.reply(200, entries);
  for (const text of Object.values(state.policies)) {
    scope
      .get(`${REPO_PATH}/git/blobs/${blobSha(text)}`)
      .reply(200, { sha: blobSha(text), encoding: "base64", content: Buffer.from(text).toString("base64") });
  }
}

/** Mocks an unchanged base branch answering a conditional request. */
export function mockTipUnchanged(scope: nock.Scope, etag = `W/"etag-${TIP}"`): void {
  scope
    .get(`${REPO_PATH}/git/ref/heads%2Fmain`)
    .matchHeader("if-none-match", etag)
    .reply(304, "", { etag });
}

export interface PullState {
  files?: unknown[];
  reviews?: unknown[];
  commits?: unknown[];
}

export function user(login: string, type = "User"): { login: string; type: string } {
  return { login, type };
}

export function commit(sha: string, author: string | null, committer: string | null, email = "someone@example.com"): unknown {
  return {
    sha,
    author: author === null ? null : user(author),
    committer: committer === null ? null : user(committer),
    commit: {
      author: { name: author ?? "Unlinked Person", email, date: "2026-11-01T00:00:00Z" },
      committer: { name: committer ?? "Unlinked Person", email, date: "2026-11-01T00:00:00Z" },
      message: "change",
    },
  };
}

export function review(id: number, login: string, state: string, commitId = HEAD, type = "User"): unknown {
  return { id, user: user(login, type), state, commit_id: commitId, submitted_at: `2026-11-0${id}T10:00:00Z`, body: "" };
}

/** Mocks the three per-PR lists: files, reviews, commits. */
export function mockPull(scope: nock.Scope, state: PullState = {}): void {
  replyPages(scope, `${REPO_PATH}/pulls/${NUMBER}/files`, state.files ?? [
    { filename: "clusters/production/api.yaml", status: "modified" },
  ]);
  replyPages(scope, `${REPO_PATH}/pulls/${NUMBER}/reviews`, state.reviews ?? []);
  replyPages(scope, `${REPO_PATH}/pulls/${NUMBER}/commits`, state.commits ?? [commit("c1", "carol", "web-flow")]);
}

export function mockTeam(scope: nock.Scope, org: string, slug: string, members: string[]): void {
  replyPages(scope, `/orgs/${org}/teams/${slug}/members`, members.map((login) => user(login)), { query: { role: "all" } });
}

export function github(): nock.Scope {
  return nock(API);
}
