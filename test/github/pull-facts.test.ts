// The ports a pull request is read through — its policies (policy-source.ts), its facts
// (pull-facts.ts) and the directory (directory.ts) — against a fake GitHub (nock at the HTTP boundary).
import { MAX_PERMISSION_READERS } from "../../src/github/directory.js";
import { readFileSync } from "node:fs";
import nock from "nock";
import { Octokit } from "@octokit/rest";
import { gatherer as gathering, type GatherResult, type GatheredFacts } from "./gathering.js";
import {
  HEAD,
  NUMBER,
  OWNER,
  REPO,
  REPO_PATH,
  TIP,
  blobSha,
  commit,
  fakePolicyReader,
  github,
  mockPolicies,
  mockPull,
  mockTeam,
  mockTipUnchanged,
  policy,
  probotOctokit,
  pullRequestPayload,
  replyPages,
  review,
  user,
} from "./fake-github.js";

const NOW = Date.parse("2026-11-27T10:00:00Z");
const production = JSON.stringify(policy("production", { teams: ["sre"], users: ["alice"] }));
const staging = JSON.stringify(policy("staging", { teams: ["acme/app-team", "sre"] }));

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

function request(pull = pullRequestPayload()) {
  return { owner: OWNER, repo: REPO, pull_number: NUMBER, pull, now: NOW };
}

function facts(result: GatherResult): GatheredFacts {
  if (result.kind !== "facts") throw new Error(`expected facts, got ${JSON.stringify(result)}`);
  return result;
}

describe("gathering a normal pull request", () => {
  test("maps files, reviews, commits, labels and the named teams into facts", async () => {
    const scope = github();
    mockPolicies(scope, { policies: { "production.yml": production, "staging.yaml": staging } });
    mockPull(scope, {
      files: [
        { filename: "clusters/production/api.yaml", status: "modified" },
        { filename: "clusters/staging/db.yaml", status: "renamed", previous_filename: "clusters/production/db.yaml" },
        { filename: "clusters/staging/db-copy.yaml", status: "copied", previous_filename: "clusters/staging/db.yaml" },
        { filename: "clusters/production/gone.yaml", status: "removed" },
      ],
      reviews: [
        review(1, "alice", "APPROVED", "old"),
        review(2, "renovate[bot]", "APPROVED", HEAD, "Bot"),
        review(3, "bob", "COMMENTED"),
        review(4, "alice", "APPROVED"),
        { id: 5, user: null, state: "APPROVED", commit_id: HEAD },
        review(6, "erin", "PENDING"),
        review(7, "bob", "CHANGES_REQUESTED"),
      ],
      commits: [
        commit("c1", "carol", "web-flow"),
        commit("c2", "Dave", "dave"),
        commit("c3", "erin", "carol"),
      ],
    });
    mockTeam(scope, "acme", "sre", ["alice", "bob"]);
    mockTeam(scope, "acme", "app-team", ["carol"]);

    const result = facts(
      await gathering({ policy: fakePolicyReader() }).gather(
        probotOctokit(),
        request(pullRequestPayload({ changed_files: 4, commits: 3 })),
      ),
    );

    expect(result.facts).toEqual({
      repository: "acme/gitops",
      base: "main",
      default_branch: "main",
      head: HEAD,
      author: "carol",
      contributors: ["carol", "Dave", "erin"],
      unlinked: [],
      labels: ["emergency"],
      files: [
        { path: "clusters/production/api.yaml", status: "modified" },
        { path: "clusters/staging/db.yaml", status: "renamed", previous_path: "clusters/production/db.yaml" },
        { path: "clusters/staging/db-copy.yaml", status: "copied", previous_path: "clusters/staging/db.yaml" },
        { path: "clusters/production/gone.yaml", status: "removed" },
      ],
      files_truncated: false,
      reviews: [
        { id: 1, user: "alice", state: "APPROVED", commit: "old", bot: false, submitted_at: "2026-11-01T10:00:00Z" },
        { id: 2, user: "renovate[bot]", state: "APPROVED", commit: HEAD, bot: true, submitted_at: "2026-11-02T10:00:00Z" },
        { id: 3, user: "bob", state: "COMMENTED", commit: HEAD, bot: false, submitted_at: "2026-11-03T10:00:00Z" },
        { id: 4, user: "alice", state: "APPROVED", commit: HEAD, bot: false, submitted_at: "2026-11-04T10:00:00Z" },
        { id: 7, user: "bob", state: "CHANGES_REQUESTED", commit: HEAD, bot: false, submitted_at: "2026-11-07T10:00:00Z" },
      ],
      teams: { "acme/sre": ["alice", "bob"], "acme/app-team": ["carol"] },
      permissions: {},
      now: NOW,
    });
    expect(result.policyCommit).toBe(TIP);
    expect(result.policyBlobs).toEqual({
      "policies/production.yml": blobSha(production),
      "policies/staging.yaml": blobSha(staging),
    });
    expect(result.policies.policies.map((p) => p.file)).toEqual(["policies/production.yml", "policies/staging.yaml"]);
    expect(result.warnings).toEqual([]);
    // ref, contents, 2 blobs, files, reviews, commits, 2 teams
    expect(result.requests.total).toBe(9);
    expect(scope.isDone()).toBe(true);
  });

  test("works the same with an @octokit/rest client (the CLI's explain)", async () => {
    const scope = github();
    mockPolicies(scope, { policies: { "production.yml": production } });
    mockPull(scope);
    mockTeam(scope, "acme", "sre", ["alice"]);

    const result = facts(await gathering({ policy: fakePolicyReader() }).gather(new Octokit({ auth: "test" }), request()));

    expect(result.facts.files).toEqual([{ path: "clusters/production/api.yaml", status: "modified" }]);
    expect(result.facts.teams).toEqual({ "acme/sre": ["alice"] });
    expect(scope.isDone()).toBe(true);
  });

  test("reads the pull request when the event carries none", async () => {
    const scope = github();
    scope.get(`${REPO_PATH}/pulls/${NUMBER}`).reply(200, pullRequestPayload({ labels: [] }));
    mockPolicies(scope, { policies: { "production.yml": production } });
    mockPull(scope);
    mockTeam(scope, "acme", "sre", []);

    const { pull: _pull, ...withoutPull } = request();
    const result = facts(await gathering({ policy: fakePolicyReader() }).gather(probotOctokit(), withoutPull));

    expect(result.facts.author).toBe("carol");
    expect(result.facts.labels).toEqual([]);
    expect(result.requests.byRoute["GET /repos/{owner}/{repo}/pulls/{pull_number}"]).toBe(1);
    expect(scope.isDone()).toBe(true);
  });

  test("unlinked commit identities are facts, not warnings", async () => {
    const scope = github();
    mockPolicies(scope, { policies: { "production.yml": JSON.stringify(policy("production", { users: ["alice"] })) } });
    mockPull(scope, {
      commits: [
        commit("c1", null, "web-flow", "alice@home.example"),
        commit("c2", null, null, "alice@home.example"),
        { ...(commit("c3", "carol", null) as object), commit: { author: { name: "carol" }, committer: { name: "GitHub", email: "noreply@github.com" } } },
      ],
    });

    const result = facts(await gathering({ policy: fakePolicyReader() }).gather(probotOctokit(), request()));

    expect(result.facts.contributors).toEqual(["carol"]);
    // Once per name and e-mail, with the first commit and role that carry it; GitHub's own committer is no one.
    expect(result.facts.unlinked).toEqual([{ commit: "c1", role: "author", name: "Unlinked Person", email: "alice@home.example" }]);
    expect(result.warnings).toEqual([]);
  });
});

describe("who wrote the commits, from GET /pulls/{n}/commits as GitHub answers it", () => {
  const account = (login: string, id: number) => ({
    login,
    id,
    node_id: `MDQ6VXNlcj${id}`,
    avatar_url: `https://avatars.githubusercontent.com/u/${id}?v=4`,
    gravatar_id: "",
    url: `https://api.github.com/users/${login}`,
    html_url: `https://github.com/${login}`,
    type: "User",
    user_view_type: "public",
    site_admin: false,
  });
  const WEB_FLOW = { ...account("web-flow", 19864447) };
  const person = (name: string, email: string) => ({ name, email, date: "2026-11-20T09:00:00Z" });
  /** One item of the listing: `who` are the accounts GitHub linked to the author and committer (null: none). */
  const listed = (
    sha: string,
    git: { author: { name: string; email: string }; committer: { name: string; email: string }; message: string },
    who: { author: unknown; committer: unknown },
  ) => ({
    sha,
    node_id: `C_kwDOAAAAAd${sha.slice(0, 8)}`,
    commit: {
      author: { ...git.author, date: "2026-11-20T09:00:00Z" },
      committer: { ...git.committer, date: "2026-11-20T09:00:00Z" },
      message: git.message,
      tree: { sha: "7".repeat(40), url: `https://api.github.com/repos/acme/gitops/git/trees/${"7".repeat(40)}` },
      url: `https://api.github.com/repos/acme/gitops/git/commits/${sha}`,
      comment_count: 0,
      verification: { verified: false, reason: "unsigned", signature: null, payload: null, verified_at: null },
    },
    url: `https://api.github.com/repos/acme/gitops/commits/${sha}`,
    html_url: `https://github.com/acme/gitops/commit/${sha}`,
    comments_url: `https://api.github.com/repos/acme/gitops/commits/${sha}/comments`,
    author: who.author,
    committer: who.committer,
    parents: [{ sha: TIP, url: `https://api.github.com/repos/acme/gitops/commits/${TIP}`, html_url: `https://github.com/acme/gitops/commit/${TIP}` }],
  });
  const sha = (c: string) => c.repeat(40);

  async function gatherCommits(commits: unknown[]): Promise<GatheredFacts> {
    const scope = github();
    mockPolicies(scope, { policies: { "production.yml": JSON.stringify(policy("production", { users: ["alice"] })) } });
    mockPull(scope, { commits });
    const result = facts(await gathering({ policy: fakePolicyReader() }).gather(probotOctokit(), request()));
    expect(scope.isDone()).toBe(true);
    return result;
  }

  test("a commit whose e-mail is linked to no account is unlinked; GitHub's web-flow committer is nobody", async () => {
    const result = await gatherCommits([
      // carol's own commit, through the web editor: GitHub commits it as web-flow.
      listed(sha("1"), { author: person("Carol", "carol@acme.example"), committer: person("GitHub", "noreply@github.com"), message: "Bump api" }, { author: account("carol", 101), committer: WEB_FLOW }),
      // written on a laptop whose e-mail no GitHub account holds: anyone, alice included.
      listed(sha("2"), { author: person("carol", "carol@laptop"), committer: person("carol", "carol@laptop"), message: "Tweak replicas" }, { author: null, committer: null }),
    ]);
    expect(result.facts.contributors).toEqual(["carol"]);
    expect(result.facts.unlinked).toEqual([{ commit: sha("2"), role: "author", name: "carol", email: "carol@laptop" }]);
    expect(result.warnings).toEqual([]);
  });

  test("Co-authored-by trailers with a noreply address are contributors; other addresses are unlinked", async () => {
    const message = [
      "Pair on the api rollout",
      "",
      "Co-authored-by: Alice Example <583231+alice@users.noreply.github.com>",
      "co-authored-by: Old Style <olduser@users.noreply.github.com>",
      "Co-authored-by: Frank <frank@contractor.example>",
      "Co-authored-by: Dave <dave@acme.example>",
      "Co-authored-by: no e-mail at all",
    ].join("\n");
    const result = await gatherCommits([
      listed(sha("3"), { author: person("Carol", "carol@acme.example"), committer: person("Carol", "carol@acme.example"), message }, { author: account("carol", 101), committer: account("carol", 101) }),
      // dave@acme.example is linked to dave on this commit: a co-author named with it is dave.
      listed(sha("4"), { author: person("Dave", "dave@acme.example"), committer: person("GitHub", "noreply@github.com"), message: "Merge branch 'main' into api" }, { author: account("dave", 104), committer: WEB_FLOW }),
    ]);
    expect(result.facts.contributors).toEqual(["carol", "alice", "olduser", "dave"]);
    expect(result.facts.unlinked).toEqual([
      { commit: sha("3"), role: "co-author", name: "Frank", email: "frank@contractor.example" },
      { commit: sha("3"), role: "co-author", name: "no e-mail at all", email: "" },
    ]);
  });
});

describe("with the real policy module", () => {
  const fixture = (name: string) => readFileSync(new URL(`../fixtures/github/policies/${name}`, import.meta.url), "utf8");

  test("YAML policies from the base branch name the teams and ask for permissions", async () => {
    const scope = github();
    mockPolicies(scope, { policies: { "production.yml": fixture("production.yml"), "staging.yml": fixture("staging.yml") } });
    mockPull(scope, { reviews: [review(1, "alice", "APPROVED"), review(2, "bob", "CHANGES_REQUESTED")] });
    mockTeam(scope, "acme", "sre", ["alice"]);
    mockTeam(scope, "other-org", "incident-commanders", ["ic"]);
    scope.get(`${REPO_PATH}/collaborators/alice/permission`).reply(200, { permission: "admin", role_name: "admin" });
    scope.get(`${REPO_PATH}/collaborators/bob/permission`).reply(200, { permission: "write", role_name: "write" });

    const result = facts(await gathering().gather(probotOctokit(), request()));

    expect(result.policies.policies.map((p) => p.environment)).toEqual(["production"]);
    expect(result.policies.invalid.map((p) => p.environment)).toEqual(["staging"]);
    expect(result.facts.teams).toEqual({ "acme/sre": ["alice"], "other-org/incident-commanders": ["ic"] });
    expect(result.facts.permissions).toEqual({ alice: "admin", bob: "write" });
    expect(scope.isDone()).toBe(true);
  });
});

describe("policies", () => {
  test("a repository without policies/ is left alone after one look", async () => {
    const scope = github();
    mockPolicies(scope, { policies: undefined });
    const gatherer = gathering({ policy: fakePolicyReader() });

    const result = await gatherer.gather(probotOctokit(), request());

    expect(result).toEqual({ kind: "no_policies", noPolicies: true, policyCommit: TIP, requests: expect.anything() });
    expect(result.requests.total).toBe(2);
    expect(scope.isDone()).toBe(true);

    // The answer is cached by tip: next time the unchanged branch costs one free 304.
    const again = github();
    mockTipUnchanged(again);
    const second = await gatherer.gather(probotOctokit(), request());
    expect(second.kind).toBe("no_policies");
    expect(second.requests).toEqual({ total: 1, notModified: 1, byRoute: { "GET /repos/{owner}/{repo}/git/ref/{ref}": 1 } });
    expect(again.isDone()).toBe(true);
  });

  test("a policies/ folder with no policy file in it counts as no policies", async () => {
    const scope = github();
    mockPolicies(scope, { policies: {} });
    const result = await gathering({ policy: fakePolicyReader() }).gather(probotOctokit(), request());
    expect(result.kind).toBe("no_policies");
    expect(scope.isDone()).toBe(true);
  });

  test("are read at the tip of the base branch and cached by its sha", async () => {
    const reader = fakePolicyReader();
    const gatherer = gathering({ policy: reader });
    const cold = github();
    mockPolicies(cold, { policies: { "production.yml": production }, etag: 'W/"one"' });
    mockPull(cold);
    mockTeam(cold, "acme", "sre", ["alice"]);
    facts(await gatherer.gather(probotOctokit(), request()));
    expect(cold.isDone()).toBe(true);

    // A new ETag for the same sha (GitHub's ETags are not promised stable): no content requests.
    const warm = github();
    warm
      .get(`${REPO_PATH}/git/ref/heads%2Fmain`)
      .matchHeader("if-none-match", 'W/"one"')
      .reply(200, { object: { sha: TIP } }, { etag: 'W/"two"' });
    mockPull(warm);
    const result = facts(await gatherer.gather(probotOctokit(), request()));

    expect(result.policyCommit).toBe(TIP);
    expect(Object.keys(result.requests.byRoute).sort()).toEqual([
      "GET /repos/{owner}/{repo}/git/ref/{ref}",
      "GET /repos/{owner}/{repo}/pulls/{pull_number}/commits",
      "GET /repos/{owner}/{repo}/pulls/{pull_number}/files",
      "GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews",
    ]);
    expect(reader.loads).toBe(1);
    expect(warm.isDone()).toBe(true);

    // ...and the new ETag is the one sent next.
    const third = github();
    mockTipUnchanged(third, 'W/"two"');
    mockPull(third);
    expect(facts(await gatherer.gather(probotOctokit(), request())).requests.notModified).toBe(1);
    expect(third.isDone()).toBe(true);
  });

  test("a moved tip re-lists the folder but fetches only the blobs that changed", async () => {
    const gatherer = gathering({ policy: fakePolicyReader() });
    const cold = github();
    mockPolicies(cold, { policies: { "production.yml": production } });
    mockPull(cold);
    mockTeam(cold, "acme", "sre", ["alice"]);
    await gatherer.gather(probotOctokit(), request());
    expect(cold.isDone()).toBe(true);

    const newTip = "c".repeat(40);
    const moved = github();
    moved
      .get(`${REPO_PATH}/git/ref/heads%2Fmain`)
      .matchHeader("if-none-match", `W/"etag-${TIP}"`)
      .reply(200, { object: { sha: newTip } }, { etag: 'W/"new"' });
    moved.get(`${REPO_PATH}/contents/policies`).query({ ref: newTip }).reply(200, [
      { type: "file", path: "policies/production.yml", sha: blobSha(production) },
      { type: "file", path: "policies/staging.yaml", sha: blobSha(staging) },
    ]);
    moved
      .get(`${REPO_PATH}/git/blobs/${blobSha(staging)}`)
      .reply(200, { encoding: "base64", content: Buffer.from(staging).toString("base64") });
    mockPull(moved);
    mockTeam(moved, "acme", "app-team", ["carol"]); // acme/sre is still cached

    const result = facts(await gatherer.gather(probotOctokit(), request()));

    expect(result.policyCommit).toBe(newTip);
    expect(result.policies.policies.map((p) => p.environment)).toEqual(["production", "staging"]);
    expect(result.facts.teams).toEqual({ "acme/sre": ["alice"], "acme/app-team": ["carol"] });
    expect(moved.isDone()).toBe(true);
  });

  test("a missing base branch is an error that says so", async () => {
    github().get(`${REPO_PATH}/git/ref/heads%2Fmain`).reply(404, { message: "Not Found" });
    const result = await gathering({ policy: fakePolicyReader() }).gather(probotOctokit(), request());
    expect(result).toMatchObject({ kind: "error", error: "GitHub API error 404 while reading the tip of base branch main: Not Found" });
  });
});

describe("teams and permissions", () => {
  test("only the teams the policies name are fetched, and cached for the TTL", async () => {
    let clock = NOW;
    const gatherer = gathering({ policy: fakePolicyReader(), membershipTtlMs: 60_000, clock: () => clock });
    const withBreakGlass = policy("production", { teams: ["sre"] });
    withBreakGlass.break_glass = { label: "emergency", approvals: 1, approvers: { teams: ["Other-Org/Incident"], users: [] } };
    const cold = github();
    mockPolicies(cold, { policies: { "production.yml": JSON.stringify(withBreakGlass) } });
    mockPull(cold);
    mockTeam(cold, "acme", "sre", ["alice"]);
    mockTeam(cold, "Other-Org", "incident", ["ic"]);
    const first = facts(await gatherer.gather(probotOctokit(), request()));
    expect(first.facts.teams).toEqual({ "acme/sre": ["alice"], "Other-Org/Incident": ["ic"] });
    expect(cold.isDone()).toBe(true);

    const warm = github();
    mockTipUnchanged(warm);
    mockPull(warm);
    const second = facts(await gatherer.gather(probotOctokit(), request()));
    expect(second.facts.teams).toEqual(first.facts.teams);
    expect(second.requests.byRoute["GET /orgs/{org}/teams/{team_slug}/members"]).toBeUndefined();
    expect(warm.isDone()).toBe(true);

    clock += 60_001;
    const expired = github();
    mockTipUnchanged(expired);
    mockPull(expired);
    mockTeam(expired, "acme", "sre", ["alice", "bob"]);
    mockTeam(expired, "Other-Org", "incident", ["ic"]);
    const third = facts(await gatherer.gather(probotOctokit(), request()));
    expect(third.facts.teams["acme/sre"]).toEqual(["alice", "bob"]);
    expect(expired.isDone()).toBe(true);
  });

  test("a policy for another base branch does not make its teams be read", async () => {
    const release = policy("release", { teams: ["release-managers"] });
    release.scope.branches = ["release/*"];
    release.break_glass = { label: "emergency", approvals: 1, approvers: { teams: ["release-oncall"], users: [] } };
    const withBreakGlass = policy("production", { teams: ["sre"] });
    withBreakGlass.break_glass = { label: "emergency", approvals: 1, approvers: { teams: ["incident"], users: [] } };
    const scope = github();
    mockPolicies(scope, { policies: { "production.yml": JSON.stringify(withBreakGlass), "release.yml": JSON.stringify(release) } });
    mockPull(scope);
    mockTeam(scope, "acme", "sre", ["alice"]);
    mockTeam(scope, "acme", "incident", ["ic"]);
    // No mock for acme/release-managers nor acme/release-oncall: reading either would fail the gathering.

    const result = facts(await gathering({ policy: fakePolicyReader() }).gather(probotOctokit(), request()));

    expect(result.facts.teams).toEqual({ "acme/sre": ["alice"], "acme/incident": ["ic"] });
    expect(result.policies.policies.map((p) => p.environment)).toEqual(["production", "release"]);
    expect(result.requests.byRoute["GET /orgs/{org}/teams/{team_slug}/members"]).toBe(2);
    expect(scope.isDone()).toBe(true);
  });

  test("team lists are paginated", async () => {
    const scope = github();
    mockPolicies(scope, { policies: { "production.yml": production } });
    mockPull(scope);
    const members = Array.from({ length: 230 }, (_, i) => `member-${i}`);
    mockTeam(scope, "acme", "sre", members);
    const result = facts(await gathering({ policy: fakePolicyReader() }).gather(probotOctokit(), request()));
    expect(result.facts.teams["acme/sre"]).toEqual(members);
    expect(result.requests.byRoute["GET /orgs/{org}/teams/{team_slug}/members"]).toBe(3);
  });

  test("a team that does not exist is empty, with a warning, and not asked for again within the TTL", async () => {
    const gatherer = gathering({ policy: fakePolicyReader() });
    const scope = github();
    mockPolicies(scope, { policies: { "production.yml": production } });
    mockPull(scope);
    scope.get("/orgs/acme/teams/sre/members").query(true).reply(404, { message: "Not Found" });
    const result = facts(await gatherer.gather(probotOctokit(), request()));
    expect(result.facts.teams).toEqual({ "acme/sre": [] });
    expect(result.warnings).toEqual(["team acme/sre was not found (or the app cannot see it): nobody counts as its member"]);

    const warm = github();
    mockTipUnchanged(warm);
    mockPull(warm);
    const again = facts(await gatherer.gather(probotOctokit(), request()));
    expect(again.warnings).toEqual(result.warnings);
    expect(again.requests.total).toBe(4);
  });

  test("a team the app may not read is an error, not an empty team", async () => {
    const scope = github();
    mockPolicies(scope, { policies: { "production.yml": production } });
    mockPull(scope);
    scope.get("/orgs/acme/teams/sre/members").query(true).reply(403, { message: "Resource not accessible by integration" });
    const result = await gathering({ policy: fakePolicyReader() }).gather(probotOctokit(), request());
    expect(result).toMatchObject({
      kind: "error",
      error: "GitHub API error 403 while listing members of team acme/sre: Resource not accessible by integration",
    });
  });

  test("permissions are read only when a policy asks, for reviewers with a stance, and cached", async () => {
    const gatherer = gathering({ policy: fakePolicyReader() });
    const byPermission = JSON.stringify(policy("production", { permission: "write" }));
    const reviews = [
      review(1, "alice", "APPROVED"),
      review(2, "bob", "CHANGES_REQUESTED"),
      review(3, "carl", "COMMENTED"),
      review(4, "Alice", "APPROVED"),
      review(5, "outsider", "APPROVED"),
      review(6, "custom", "APPROVED"),
    ];
    const scope = github();
    mockPolicies(scope, { policies: { "production.yml": byPermission } });
    mockPull(scope, { reviews });
    const permission = (login: string, body: object) =>
      scope.get(`${REPO_PATH}/collaborators/${login}/permission`).reply(200, { ...body, user: user(login) });
    permission("alice", { permission: "write", role_name: "maintain" });
    permission("bob", { permission: "read", role_name: "triage" });
    permission("custom", { permission: "write", role_name: "deployer" });
    scope.get(`${REPO_PATH}/collaborators/outsider/permission`).reply(404, { message: "Not Found" });

    const result = facts(await gatherer.gather(probotOctokit(), request()));

    expect(result.facts.permissions).toEqual({ alice: "maintain", bob: "triage", custom: "write" });
    expect(scope.isDone()).toBe(true);

    const warm = github();
    mockTipUnchanged(warm);
    mockPull(warm, { reviews });
    const again = facts(await gatherer.gather(probotOctokit(), request()));
    expect(again.facts.permissions).toEqual(result.facts.permissions);
    expect(again.requests.total).toBe(4);
  });

  test("more reviewers with a stance than the app reads permissions of: fails closed, without reading them one by one", async () => {
    const gatherer = gathering({ policy: fakePolicyReader() });
    const byPermission = JSON.stringify(policy("production", { permission: "write" }));
    // Anyone can approve a public repository's pull request.
    const reviews = Array.from({ length: MAX_PERMISSION_READERS + 1 }, (_, i) => review(i + 1, `outsider-${i}`, "APPROVED"));
    const scope = github();
    mockPolicies(scope, { policies: { "production.yml": byPermission } });
    mockPull(scope, { reviews });
    const result = await gatherer.gather(probotOctokit(), request());
    expect(result).toMatchObject({ kind: "error", error: expect.stringContaining(`more than the ${MAX_PERMISSION_READERS} whose repository permission this app reads`) });
    expect(scope.isDone()).toBe(true);
  });
});

describe("large pull requests", () => {
  /** 3,500 changes: 1,000 modified, 2,498 added, and a rename seen as a removal plus an addition. */
  function trees(options: { truncated: boolean }) {
    const blob = (path: string, sha: string) => ({ path, mode: "100644", type: "blob", sha });
    const base = [
      { path: "clusters", mode: "040000", type: "tree", sha: "t1" },
      ...Array.from({ length: 1000 }, (_, i) => blob(`clusters/production/app-${i}.yaml`, `a${i}`)),
      ...Array.from({ length: 500 }, (_, i) => blob(`docs/page-${i}.md`, `d${i}`)),
      blob("clusters/production/old.yaml", "moved"),
    ];
    const head = [
      { path: "clusters", mode: "040000", type: "tree", sha: "t2" },
      ...Array.from({ length: 1000 }, (_, i) => blob(`clusters/production/app-${i}.yaml`, `b${i}`)),
      ...Array.from({ length: 500 }, (_, i) => blob(`docs/page-${i}.md`, `d${i}`)),
      ...Array.from({ length: 2498 }, (_, i) => blob(`clusters/staging/new-${i}.yaml`, `n${i}`)),
      blob("clusters/staging/moved.yaml", "moved"),
    ];
    return {
      base: { sha: "mb", tree: base, truncated: false },
      head: { sha: HEAD, tree: head, truncated: options.truncated },
    };
  }

  function mockLargePull(scope: nock.Scope, options: { truncated: boolean }): void {
    const listed = Array.from({ length: 3500 }, (_, i) => ({ filename: `f${i}`, status: "added" }));
    replyPages(scope, `${REPO_PATH}/pulls/${NUMBER}/files`, listed, { pages: 30 });
    replyPages(scope, `${REPO_PATH}/pulls/${NUMBER}/reviews`, []);
    replyPages(scope, `${REPO_PATH}/pulls/${NUMBER}/commits`, [commit("c1", "carol", "carol")]);
    scope
      .get(`${REPO_PATH}/compare/${TIP}...${HEAD}`)
      .query({ per_page: "1" })
      .reply(200, { merge_base_commit: { sha: "m".repeat(40) }, total_commits: 1, commits: [] });
    const { base, head } = trees(options);
    scope.get(`${REPO_PATH}/git/trees/${"m".repeat(40)}`).query({ recursive: "1" }).reply(200, base);
    scope.get(`${REPO_PATH}/git/trees/${HEAD}`).query({ recursive: "1" }).reply(200, head);
  }

  test("past 3,000 files the git trees of merge base and head give every changed path", async () => {
    const scope = github();
    mockPolicies(scope, { policies: { "production.yml": JSON.stringify(policy("production", { users: ["alice"] })) } });
    mockLargePull(scope, { truncated: false });

    const result = facts(
      await gathering({ policy: fakePolicyReader() }).gather(
        probotOctokit(),
        request(pullRequestPayload({ changed_files: 3500 })),
      ),
    );

    expect(result.facts.files).toHaveLength(3500);
    expect(new Set(result.facts.files.map((f) => f.path)).size).toBe(3500);
    expect(result.facts.files_truncated).toBe(false);
    expect(result.facts.files).toContainEqual({ path: "clusters/production/old.yaml", status: "removed" });
    expect(result.facts.files).toContainEqual({ path: "clusters/staging/moved.yaml", status: "added" });
    expect(result.facts.files).toContainEqual({ path: "clusters/production/app-7.yaml", status: "modified" });
    expect(result.facts.files.some((f) => f.path.startsWith("docs/"))).toBe(false);
    expect(result.requests.byRoute["GET /repos/{owner}/{repo}/pulls/{pull_number}/files"]).toBe(30);
    expect(result.requests.byRoute["GET /repos/{owner}/{repo}/git/trees/{tree_sha}"]).toBe(2);
    expect(scope.isDone()).toBe(true);
  });

  test("a truncated tree means not every file could be seen", async () => {
    const scope = github();
    mockPolicies(scope, { policies: { "production.yml": JSON.stringify(policy("production", { users: ["alice"] })) } });
    mockLargePull(scope, { truncated: true });
    // A review payload carries no changed_files: hitting the listing limit alone triggers the fallback.
    const { changed_files: _files, commits: _commits, ...pull } = pullRequestPayload();

    const result = facts(await gathering({ policy: fakePolicyReader() }).gather(probotOctokit(), request(pull)));

    expect(result.facts.files_truncated).toBe(true);
    expect(scope.isDone()).toBe(true);
  });

  test("past 250 commits the comparison lists every contributor", async () => {
    const scope = github();
    mockPolicies(scope, { policies: { "production.yml": JSON.stringify(policy("production", { users: ["alice"] })) } });
    const commits = Array.from({ length: 320 }, (_, i) => commit(`c${i}`, i === 300 ? "mallory" : "carol", "web-flow"));
    replyPages(scope, `${REPO_PATH}/pulls/${NUMBER}/files`, [{ filename: "clusters/production/a.yaml", status: "added" }]);
    replyPages(scope, `${REPO_PATH}/pulls/${NUMBER}/reviews`, []);
    replyPages(scope, `${REPO_PATH}/pulls/${NUMBER}/commits`, commits.slice(0, 250));
    replyPages(scope, `${REPO_PATH}/compare/${TIP}...${HEAD}`, commits, {
      wrap: (page) => ({ total_commits: 320, merge_base_commit: { sha: "m" }, commits: page }),
    });

    const result = facts(
      await gathering({ policy: fakePolicyReader() }).gather(
        probotOctokit(),
        request(pullRequestPayload({ commits: 320, changed_files: 1 })),
      ),
    );

    expect(result.facts.contributors).toEqual(["carol", "mallory"]);
    expect(result.requests.byRoute["GET /repos/{owner}/{repo}/compare/{basehead}"]).toBe(4);
    expect(scope.isDone()).toBe(true);
  });

  test("commits that cannot all be listed are an error: contributors unknown", async () => {
    const scope = github();
    mockPolicies(scope, { policies: { "production.yml": JSON.stringify(policy("production", { users: ["alice"] })) } });
    const commits = Array.from({ length: 250 }, (_, i) => commit(`c${i}`, "carol", "carol"));
    replyPages(scope, `${REPO_PATH}/pulls/${NUMBER}/files`, []);
    replyPages(scope, `${REPO_PATH}/pulls/${NUMBER}/reviews`, []);
    replyPages(scope, `${REPO_PATH}/pulls/${NUMBER}/commits`, commits);
    replyPages(scope, `${REPO_PATH}/compare/${TIP}...${HEAD}`, commits, {
      wrap: (page) => ({ total_commits: 400, commits: page }),
    });

    const result = await gathering({ policy: fakePolicyReader() }).gather(
      probotOctokit(),
      request(pullRequestPayload({ commits: 400, changed_files: 0 })),
    );

    expect(result).toMatchObject({
      kind: "error",
      error: "#42 has 400 commits and only 250 could be listed: its contributors are unknown",
    });
  });
});

describe("failures and economy", () => {
  test("a 502 on reviews is an error value naming what failed", async () => {
    const scope = github();
    mockPolicies(scope, { policies: { "production.yml": production } });
    replyPages(scope, `${REPO_PATH}/pulls/${NUMBER}/files`, [{ filename: "clusters/production/a.yaml", status: "added" }]);
    scope.get(`${REPO_PATH}/pulls/${NUMBER}/reviews`).query(true).reply(502, "<html>Bad Gateway</html>");
    replyPages(scope, `${REPO_PATH}/pulls/${NUMBER}/commits`, [commit("c1", "carol", "carol")]);
    mockTeam(scope, "acme", "sre", []);

    const result = await gathering({ policy: fakePolicyReader() }).gather(probotOctokit(), request());

    expect(result).toEqual({ kind: "error", error: "GitHub API error 502 while listing reviews of #42", requests: expect.anything() });
  });

  test("a failure to reach GitHub is an error value too", async () => {
    github().get(`${REPO_PATH}/git/ref/heads%2Fmain`).replyWithError("socket hang up");
    const result = await gathering({ policy: fakePolicyReader() }).gather(probotOctokit(), request());
    expect(result).toMatchObject({ kind: "error", error: "GitHub request failed while reading the tip of base branch main: socket hang up" });
  });

  test("a small PR costs 4 reads when warm, one of them a free 304", async () => {
    const gatherer = gathering({ policy: fakePolicyReader() });
    const cold = github();
    mockPolicies(cold, { policies: { "production.yml": production, "staging.yaml": staging } });
    mockPull(cold, { reviews: [review(1, "alice", "APPROVED")] });
    mockTeam(cold, "acme", "sre", ["alice"]);
    mockTeam(cold, "acme", "app-team", []);
    const first = facts(await gatherer.gather(probotOctokit(), request()));
    // ref, contents, 2 blobs, files, reviews, commits, 2 teams
    expect(first.requests).toMatchObject({ total: 9, notModified: 0 });

    const warm = github();
    mockTipUnchanged(warm);
    mockPull(warm, { reviews: [review(1, "alice", "APPROVED")] });
    const second = facts(await gatherer.gather(probotOctokit(), request()));

    expect(second.requests).toEqual({
      total: 4,
      notModified: 1,
      byRoute: {
        "GET /repos/{owner}/{repo}/git/ref/{ref}": 1,
        "GET /repos/{owner}/{repo}/pulls/{pull_number}/files": 1,
        "GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews": 1,
        "GET /repos/{owner}/{repo}/pulls/{pull_number}/commits": 1,
      },
    });
    expect(second.facts).toEqual(first.facts);
    expect(warm.isDone()).toBe(true);
  });
});

describe("concurrent evaluations (single-flight)", () => {
  const OTHER = 43;
  const NEW_TIP = "c".repeat(40);

  function otherPull() {
    return { ...pullRequestPayload(), number: OTHER };
  }

  function mockOtherPull(scope: nock.Scope): void {
    replyPages(scope, `${REPO_PATH}/pulls/${OTHER}/files`, [{ filename: "clusters/staging/db.yaml", status: "modified" }]);
    replyPages(scope, `${REPO_PATH}/pulls/${OTHER}/reviews`, []);
    replyPages(scope, `${REPO_PATH}/pulls/${OTHER}/commits`, [commit("c9", "carol", "web-flow")]);
  }

  test("two PRs gathered at once after the base moved read the tip, the policy folder and each blob once", async () => {
    const gatherer = gathering({ policy: fakePolicyReader() });
    const cold = github();
    mockPolicies(cold, { policies: { "production.yml": production } });
    mockPull(cold);
    mockTeam(cold, "acme", "sre", ["alice"]);
    facts(await gatherer.gather(probotOctokit(), request()));
    expect(cold.isDone()).toBe(true);

    // A push to main changed policies/: one new tip, one new blob. nock answers each read once only.
    const moved = github();
    moved
      .get(`${REPO_PATH}/git/ref/heads%2Fmain`)
      .matchHeader("if-none-match", `W/"etag-${TIP}"`)
      .delay(20)
      .reply(200, { object: { sha: NEW_TIP } }, { etag: 'W/"new"' });
    moved.get(`${REPO_PATH}/contents/policies`).query({ ref: NEW_TIP }).delay(20).reply(200, [
      { type: "file", path: "policies/production.yml", sha: blobSha(production) },
      { type: "file", path: "policies/staging.yaml", sha: blobSha(staging) },
    ]);
    moved
      .get(`${REPO_PATH}/git/blobs/${blobSha(staging)}`)
      .delay(20)
      .reply(200, { encoding: "base64", content: Buffer.from(staging).toString("base64") });
    mockPull(moved);
    mockOtherPull(moved);
    mockTeam(moved, "acme", "app-team", ["carol"]);
    mockTeam(moved, "acme", "app-team", ["carol"]); // team reads are not shared: each PR may read it

    const [first, second] = await Promise.all([
      gatherer.gather(probotOctokit(), request()),
      gatherer.gather(probotOctokit(), { ...request(otherPull()), pull_number: OTHER }),
    ]);

    for (const result of [facts(first), facts(second)]) {
      expect(result.policyCommit).toBe(NEW_TIP);
      expect(result.policies.policies.map((p) => p.environment)).toEqual(["production", "staging"]);
      expect(result.facts.teams).toEqual({ "acme/sre": ["alice"], "acme/app-team": ["carol"] });
    }
    const routes = ["GET /repos/{owner}/{repo}/git/ref/{ref}", "GET /repos/{owner}/{repo}/contents/{path}", "GET /repos/{owner}/{repo}/git/blobs/{file_sha}"];
    for (const route of routes) {
      expect((facts(first).requests.byRoute[route] ?? 0) + (facts(second).requests.byRoute[route] ?? 0)).toBe(1);
    }
    expect(facts(second).facts.files).toEqual([{ path: "clusters/staging/db.yaml", status: "modified" }]);
    expect(moved.pendingMocks().filter((m) => !m.includes("/teams/"))).toEqual([]);
  });

  test("a failed read is shared only by the gatherings waiting on it, and never remembered", async () => {
    const gatherer = gathering({ policy: fakePolicyReader() });
    const failing = github();
    failing.get(`${REPO_PATH}/git/ref/heads%2Fmain`).delay(20).reply(502, "");
    const [first, second] = await Promise.all([
      gatherer.gather(probotOctokit(), request()),
      gatherer.gather(probotOctokit(), { ...request(otherPull()), pull_number: OTHER }),
    ]);
    expect(first).toMatchObject({ kind: "error", error: expect.stringContaining("502 while reading the tip of base branch main") });
    expect(second).toMatchObject({ kind: "error", error: expect.stringContaining("502 while reading the tip of base branch main") });
    expect(failing.isDone()).toBe(true);

    const recovered = github();
    mockPolicies(recovered, { policies: { "production.yml": production } });
    mockPull(recovered);
    mockTeam(recovered, "acme", "sre", ["alice"]);
    expect(facts(await gatherer.gather(probotOctokit(), request())).policyCommit).toBe(TIP);
    expect(recovered.isDone()).toBe(true);
  });
});

describe("policies at a given commit (the audit of a merge, a direct push)", () => {
  const PARENT = "5e".repeat(20);

  test("policyRef reads the policies at that commit and never the base branch's tip", async () => {
    const scope = github();
    scope.get(`${REPO_PATH}/contents/policies`).query({ ref: PARENT }).reply(200, [{ type: "file", name: "production.yml", path: "policies/production.yml", sha: blobSha(production) }]);
    scope.get(`${REPO_PATH}/git/blobs/${blobSha(production)}`).reply(200, { sha: blobSha(production), encoding: "base64", content: Buffer.from(production).toString("base64") });
    mockPull(scope);
    mockTeam(scope, "acme", "sre", ["alice"]);
    const gatherer = gathering({ policy: fakePolicyReader() });
    const result = facts(await gatherer.gather(probotOctokit(), { ...request(pullRequestPayload({ changed_files: 1, commits: 1 })), policyRef: PARENT }));
    expect(result.policyCommit).toBe(PARENT);
    expect(result.policyBlobs).toEqual({ "policies/production.yml": blobSha(production) });
    expect(scope.isDone()).toBe(true);

    // The same commit again, as a push audit asks: cached, no request at all.
    const probed = await gatherer.policiesAt(probotOctokit(), { branch: "main", commit: PARENT });
    expect(probed).toMatchObject({ kind: "policies", policyCommit: PARENT, policyBlobs: { "policies/production.yml": blobSha(production) }, requests: { total: 0 } });
  });

  test("policies at a commit: no policy folder at the commit is no_policies; a GitHub failure is an error value", async () => {
    const scope = github();
    scope.get(`${REPO_PATH}/contents/policies`).query({ ref: PARENT }).reply(404, { message: "Not Found" });
    scope.get(`${REPO_PATH}/contents/policies`).query({ ref: TIP }).reply(502, "");
    const gatherer = gathering({ policy: fakePolicyReader() });
    expect(await gatherer.policiesAt(probotOctokit(), { branch: "main", commit: PARENT })).toMatchObject({ kind: "no_policies" });
    expect(await gatherer.policiesAt(probotOctokit(), { branch: "main", commit: TIP })).toMatchObject({ kind: "error" });
  });
});
