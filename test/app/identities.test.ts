// Separation of duties through commit identities (issue 7, item 2), end to end: who wrote a PR's
// commits decides whose approval counts, and an identity linked to no account is never silent.
import { FakeGitHub, HEAD, STAGING, commit, policyYaml, pullRequestEvent, review, type TestApp, useTestApp } from "./helpers.js";

let github: FakeGitHub;
let app: TestApp;

useTestApp((g, a) => {
  github = g;
  app = a;
});

/** production: alice alone approves; `extra` is appended YAML. */
const production = (extra = "") => policyYaml("production", "{ users: [alice] }", extra);

/** A commit as GitHub lists it, with a message. */
function withMessage(sha: string, author: string, message: string): unknown {
  const listed = commit(sha, author, "web-flow") as { commit: Record<string, unknown> };
  return { ...listed, commit: { ...listed.commit, message } };
}

describe("a commit whose e-mail is linked to no account (the attack)", () => {
  // carol opens the PR; alice, the only approver, wrote a commit of it from a laptop whose e-mail
  // no GitHub account holds, so GitHub names nobody as its author — and alice approves.
  const attack = { commits: [commit("c1", "carol", "web-flow"), commit("c2", null, null, "alice@laptop")], reviews: [review(1, "alice", "APPROVED")] };

  test("blocks under unlinked_commits: block, naming the commit and the identity", async () => {
    github.coldEvaluation({ "production.yml": production("options: { unlinked_commits: block }"), "staging.yml": STAGING }, attack);
    await app.receive("pull_request", pullRequestEvent("opened"));
    const check = github.last("compliance/production");
    expect(check).toMatchObject({ head_sha: HEAD, status: "completed", conclusion: "failure" });
    expect(check?.output.title).toBe("Blocked: cannot tell who wrote c2: Unlinked Person <alice@laptop>");
    expect(check?.output.summary).toContain("### Cannot tell who wrote these commits");
    expect(check?.output.summary).toContain("- `c2` author `Unlinked Person <alice@laptop>`\n\n");
    // a change the policy does not judge stays untouched
    expect(github.last("compliance/staging")?.conclusion).toBe("success");
  });

  test("under warn (the default) passes, and says separation of duties cannot be shown", async () => {
    github.coldEvaluation({ "production.yml": production(), "staging.yml": STAGING }, attack);
    await app.receive("pull_request", pullRequestEvent("opened"));
    const check = github.last("compliance/production");
    expect(check).toMatchObject({ conclusion: "success", output: { title: "Approved" } });
    expect(check?.output.summary).toContain("### Warning: separation of duties cannot be shown");
    expect(check?.output.summary).toContain("`c2` author `Unlinked Person <alice@laptop>`");
  });
});

describe("a commit written as GitHub itself (the attack)", () => {
  // alice, the only approver, writes a commit with author and committer `GitHub <noreply@github.com>`:
  // GitHub links that address to its web-flow account, which is nobody as a committer — but as the
  // author it hides alice. carol opens the PR and alice approves.
  const asGitHub = (sha: string): unknown => {
    const listed = commit(sha, "web-flow", "web-flow", "noreply@github.com") as { commit: Record<string, Record<string, unknown>> };
    return { ...listed, commit: { ...listed.commit, author: { ...listed.commit["author"], name: "GitHub" }, committer: { ...listed.commit["committer"], name: "GitHub" } } };
  };
  const attack = { commits: [commit("c1", "carol", "web-flow"), asGitHub("c2")], reviews: [review(1, "alice", "APPROVED")] };

  test("is unlinked, and blocks under unlinked_commits: block", async () => {
    github.coldEvaluation({ "production.yml": production("options: { unlinked_commits: block }"), "staging.yml": STAGING }, attack);
    await app.receive("pull_request", pullRequestEvent("opened"));
    const check = github.last("compliance/production");
    expect(check).toMatchObject({ conclusion: "failure", output: { title: "Blocked: cannot tell who wrote c2: GitHub <noreply@github.com>" } });
    expect(check?.output.summary).toContain("- `c2` author `GitHub <noreply@github.com>`");
  });
});

describe("Co-authored-by", () => {
  test("a co-author named with a GitHub noreply address cannot approve", async () => {
    const commits = [withMessage("c1", "carol", "Bump api\n\nCo-authored-by: Alice <583231+alice@users.noreply.github.com>")];
    github.coldEvaluation({ "production.yml": production(), "staging.yml": STAGING }, { commits, reviews: [review(1, "alice", "APPROVED")] });
    await app.receive("pull_request", pullRequestEvent("opened"));
    const check = github.last("compliance/production");
    expect(check?.status).toBe("in_progress");
    expect(check?.output.summary).toContain("@alice authored, committed or co-authored commits of this pull request");
  });

  test("a co-author named with any other address is unlinked, and blocks under block", async () => {
    const commits = [withMessage("c1", "carol", "Bump api\n\nCo-authored-by: Alice <alice@laptop>")];
    github.coldEvaluation(
      { "production.yml": production("options: { unlinked_commits: block }"), "staging.yml": STAGING },
      { commits, reviews: [review(1, "alice", "APPROVED")] },
    );
    await app.receive("pull_request", pullRequestEvent("opened"));
    expect(github.last("compliance/production")).toMatchObject({
      conclusion: "failure",
      output: { title: "Blocked: cannot tell who wrote c1: Alice <alice@laptop>" },
    });
  });
});
