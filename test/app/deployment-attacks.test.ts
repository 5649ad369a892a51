// The findings of the issue-11 review, each an attack on the deployment gate or the applied-revision
// check (SPEC §8), over the port's fake: what a writer of the repository can try, and the answer the
// gate must give. Each test failed before its fix.
import { createPrivateKey } from "node:crypto";
import pino from "pino";
import { AppliedVerifier, type AppliedReport } from "../../src/app/applied-verify.js";
import { DeploymentGate, type DeploymentRequest } from "../../src/app/deployment-gate.js";
import { InProcessLater } from "../../src/app/later.js";
import { Rebaseliner } from "../../src/app/rebaseline.js";
import { traceChain } from "../../src/app/trace.js";
import type { AppliedReporter } from "../../src/audit/verdict-record.js";
import { sealRecord, verifyRecord } from "../../src/audit/seal.js";
import { loadPolicySet } from "../../src/policy/load.js";
import { changeRecord, FakeDeploymentGitHub } from "../fakes/deployment-github.js";
import { signingKeys } from "./audit-fake.js";
import { ManualClock } from "./helpers.js";

const log = pino({ level: "silent" });
const sha = (c: string): string => c.repeat(40);

const POLICY = (extra = "", branches = "[main]"): string =>
  [
    "version: 1",
    "environment: production",
    `scope: { branches: ${branches}, paths: [clusters/production/**] }`,
    "rules: [{ name: SRE, paths: [clusters/production/**], approvals: 1, approvers: { users: [alice] } }]",
    'verify: { statuses: ["kustomization/apps-production/*"], deployments: [production] }',
    extra,
  ].join("\n");

const policySet = (text: string) => loadPolicySet([{ path: "policies/production.yml", text }]);

/** main: 0 (no policies), A (the policy arrives), B (#41, approved), C (#43, approved). */
function history(policy = POLICY()): FakeDeploymentGitHub {
  const github = new FakeDeploymentGitHub({ "production.yml": policy });
  github.commit(sha("0"), { paths: ["README.md"] });
  github.policiesByCommit.set(sha("0"), null);
  github.commit(sha("a"), { paths: ["policies/production.yml"] });
  github.commit(sha("b"), { pull: 41, merge: [changeRecord("merge", "approved", { pull: 41 })] });
  github.commit(sha("c"), { pull: 43, title: "Bump api", merge: [changeRecord("merge", "approved", { pull: 43 })] });
  return github;
}

function request(github: FakeDeploymentGitHub, overrides: Partial<DeploymentRequest> = {}): DeploymentRequest {
  return { owner: "acme", repo: "gitops", defaultBranch: "main", runId: 7, environment: "production", sha: github.tips.get("main") ?? null, ref: "main", event: "push", sender: "mallory", deploymentId: 9, ...overrides };
}

function gate(clock = new ManualClock()): DeploymentGate {
  return new DeploymentGate({ clock: () => clock.now, later: new InProcessLater({ clock: () => clock.now, timers: clock, log }) });
}

const flux: AppliedReporter = { type: "status", context: "kustomization/apps-production/1f2e3d4c", id: 1, creator: "flux", target_url: null };

function verifier(clock = new ManualClock()): AppliedVerifier {
  return new AppliedVerifier({ clock: () => clock.now, later: new InProcessLater({ clock: () => clock.now, timers: clock, log }) });
}

function report(at: string, reporter: AppliedReporter = flux): AppliedReport {
  return { owner: "acme", repo: "gitops", defaultBranch: "main", sha: at, reporter, reportedAt: "2026-11-25T10:00:00Z" };
}

describe("whoever picks the deploy branch does not pick the policy that judges it", () => {
  test("a branch off main whose own policy names it among the deploy branches: rejected, judged by main's policies", async () => {
    const github = history();
    // Branch x off main's tip, one commit P: the production manifest changed, and a policy naming x.
    // A created branch is not audited as a push, so P has no record.
    const P = sha("e");
    github.parents.set(P, [sha("c")]);
    github.tips.set("x", P);
    github.files.set(P, [{ path: "clusters/production/api.yaml", status: "modified" }, { path: "policies/production.yml", status: "modified" }]);
    github.policiesByCommit.set(P, policySet(POLICY("", "[main, x]")));
    expect(await gate().onRequest(request(github, { sha: P, ref: "x" }), github, log)).toBe("rejected");
    expect(github.written[0]?.record).toMatchObject({ branch: null, reasons: ["eeeeeee is not on a branch production deploys from (main)"] });
  });

  test("the same with an earlier approved deployment of main and a long history: main's verdict does not serve x", async () => {
    const github = history();
    let tip = sha("c");
    for (let i = 0; i < 90; i++) {
      const s = (i + 0x1000).toString(16).padStart(40, "f");
      github.commit(s, { pull: 100 + i, merge: [changeRecord("merge", "approved", { pull: 100 + i })] });
      tip = s;
    }
    expect(await gate().onRequest(request(github, { runId: 2 }), github, log)).toBe("approved");
    const P = sha("e");
    github.parents.set(P, [tip]);
    github.tips.set("x", P);
    github.policiesByCommit.set(P, policySet(POLICY("", "[main, x]")));
    expect(await gate().onRequest(request(github, { sha: P, ref: "refs/heads/x", runId: 3 }), github, log)).toBe("rejected");
  });

  test("a gated branch created off main: a commit its parent's policy did not judge for that branch is missing, not untouched", async () => {
    // main's policy named only main until D added x; x was created off C with a commit P that changed production.
    const github = history();
    const onlyMain = policySet(POLICY());
    for (const c of ["a", "b", "c"]) github.policiesByCommit.set(sha(c), onlyMain);
    github.policies = policySet(POLICY("", "[main, x]"));
    github.commit(sha("d"), { pull: 44, paths: ["policies/production.yml"], merge: [changeRecord("merge", null, { pull: 44 })] });
    const P = sha("e");
    github.parents.set(P, [sha("c")]);
    github.tips.set("x", P);
    expect(await gate().onRequest(request(github, { sha: P, ref: "x" }), github, log)).toBe("rejected");
    expect(github.written[0]?.record["reasons"]).toEqual([
      "eeeeeee was pushed directly and has no audit record (the policy of production at its parent does not apply to x: nothing judged it there)",
    ]);
  });

  test("a verdict given on main ends no walk on another gated branch", async () => {
    const github = history(POLICY("", "[main, x]"));
    expect(await verifier().onReport(report(sha("c")), github, log)).toBe("recorded");
    expect(github.written[0]?.record).toMatchObject({ compliant: true, branch: "main" });
    // x at C, then an approved merge into x.
    github.tips.set("x", sha("c"));
    github.commit(sha("d"), { branch: "x", pull: 45, merge: [changeRecord("merge", "approved", { pull: 45 })] });
    await gate().onRequest(request(github, { sha: sha("d"), ref: "x" }), github, log);
    const chain = github.written[1]?.record["chain"] as { end: string; links: { sha: string; status: string }[] };
    expect(chain.end).not.toBe("baseline");
    expect(chain.links.map((l) => l.sha)).toContain(sha("c"));
  });
});

describe("only a state of the branch that was approved deploys", () => {
  /** PR #50: D1 (a bad image), then D2 (the good one) — reviewers approved D2 — merged with a merge commit M. */
  function mergedPull(policy = POLICY()): FakeDeploymentGitHub {
    const github = history(policy);
    github.parents.set(sha("1"), [sha("c")]);
    github.parents.set(sha("2"), [sha("1")]);
    github.pullCommits.set(sha("1"), [50]);
    github.pullCommits.set(sha("2"), [50]);
    github.commit(sha("3"), { pull: 50, merge: [changeRecord("merge", "approved", { pull: 50 })] });
    github.parents.set(sha("3"), [sha("c"), sha("2")]);
    return github;
  }

  test("an intermediate commit of an approved, merged pull request, deployed from main: not on main's first-parent line", async () => {
    const github = mergedPull();
    expect(await gate().onRequest(request(github, { sha: sha("1"), ref: "main" }), github, log)).toBe("rejected");
    expect(github.written[0]?.record["reasons"]).toEqual(["1111111 is not on a branch production deploys from (main)"]);
  });

  test("the same commit as the tip of a gated branch: a commit of #50 that is not its merge is never approved", async () => {
    const github = mergedPull(POLICY("", '[main, "env/*"]'));
    github.tips.set("env/y", sha("1"));
    expect(await gate().onRequest(request(github, { sha: sha("1"), ref: "env/y" }), github, log)).toBe("rejected");
    expect(github.written[0]?.record["reasons"]).toEqual(["1111111 is a commit of #50, merged as 3333333: only the merge's result was approved, never this commit"]);
    // Its merge deploys.
    expect(await gate().onRequest(request(github, { runId: 8 }), github, log)).toBe("approved");
  });

  test("a rebase merge: its replayed commits are walked through, but only the last — its merge commit — deploys", async () => {
    const github = history();
    github.commit(sha("4"), { paths: ["clusters/production/api.yaml"] });
    github.commit(sha("5"), { paths: ["clusters/production/api.yaml"] });
    github.commit(sha("6"), { pull: 60, merge: [changeRecord("merge", "approved", { pull: 60 })] });
    github.pullCommits.set(sha("4"), [60]);
    github.pullCommits.set(sha("5"), [60]);
    expect(await gate().onRequest(request(github), github, log)).toBe("approved");
    expect(await gate().onRequest(request(github, { sha: sha("5"), runId: 8 }), github, log)).toBe("rejected");
    expect(github.written[1]?.record["reasons"]).toContain("5555555 is a commit of #60, merged as 6666666: only the merge's result was approved, never this commit");
  });

  test("a merge record that names another merge commit does not cover this one", async () => {
    const github = history();
    github.commit(sha("d"), { pull: 44, merge: [changeRecord("merge", "approved", { pull: 44, at: sha("9") })] });
    expect(await gate().onRequest(request(github), github, log)).toBe("rejected");
    expect(github.written[0]?.record["reasons"]).toEqual(["ddddddd contains #44, which has no audit record"]);
  });
});

describe("an audit comment any writer can edit is not the evidence", () => {
  const keys = signingKeys();
  /** The merge record of `pull`, merged as `at`, signed with the app's key. */
  const signed = (state: string, pull: number, at: string): Record<string, unknown> => {
    const body = { ...changeRecord("merge", state, { pull, at }), digest: undefined };
    const sealed = sealRecord(body as never, keys.privateKey);
    if (!sealed.ok) throw new Error(sealed.message);
    return sealed.record as unknown as Record<string, unknown>;
  };
  const keyedGate = (): DeploymentGate => {
    const clock = new ManualClock();
    return new DeploymentGate({ signingKey: createPrivateKey(keys.privateKey), clock: () => clock.now, later: new InProcessLater({ clock: () => clock.now, timers: clock, log }) });
  };

  test("with a signing key, a record edited to approved, its digest recomputed and its signature dropped, does not count", async () => {
    const github = history();
    github.comments.set(41, [signed("approved", 41, sha("b"))]);
    github.comments.set(43, [signed("approved", 43, sha("c"))]);
    github.commit(sha("d"), { pull: 44, merge: [signed("pending", 44, sha("d"))] });
    expect(await keyedGate().onRequest(request(github, { runId: 1 }), github, log)).toBe("rejected");
    // A writer edits the app's comment (write access edits anyone's comments).
    const edited = { ...signed("pending", 44, sha("d")), environments: [{ environment: "production", state: "approved", break_glass: false }], compliant: true, signature: undefined, digest: undefined };
    const forged = sealRecord(edited as never);
    if (!forged.ok) throw new Error(forged.message);
    github.comments.set(44, [forged.record as unknown as Record<string, unknown>]);
    expect(await keyedGate().onRequest(request(github, { runId: 2 }), github, log)).toBe("rejected");
    expect(github.written[1]?.record["reasons"]).toEqual(["ddddddd contains #44, whose audit record does not verify (not signed)"]);
  });

  test("the copy of a merge's record in its merge commit's compliance/audit check run, which only the app writes, wins over an edited comment", async () => {
    const github = history();
    const written = changeRecord("merge", "pending", { pull: 44, at: sha("d") });
    const forged = changeRecord("merge", "approved", { pull: 44, at: sha("d") });
    github.commit(sha("d"), { pull: 44, merge: [forged], checks: [written] });
    expect(await gate().onRequest(request(github), github, log)).toBe("rejected");
    expect(github.written[0]?.record["reasons"]).toEqual(["ddddddd contains #44, merged without approval of production (pending)"]);
    // The comments of #41 and #43 only, which have no copy.
    expect(github.calls.filter((c) => c === "audit.allComments")).toHaveLength(2);
  });
});

describe("a re-run of a workflow is judged anew", () => {
  test("a run approved before a freeze, re-run during it (same run, a new deployment): rejected", async () => {
    const github = history();
    const clock = new ManualClock(Date.parse("2026-11-24T10:00:00Z"));
    const g = gate(clock);
    expect(await g.onRequest(request(github, { runId: 77, deploymentId: 1 }), github, log)).toBe("approved");
    github.policies = policySet(POLICY("freeze: [{ name: release freeze, from: 2026-11-25T00:00:00Z, until: 2026-11-26T00:00:00Z }]"));
    clock.advanceTo(Date.parse("2026-11-25T10:00:00Z"));
    expect(await g.onRequest(request(github, { runId: 77, deploymentId: 2 }), github, log)).toBe("rejected");
    // A redelivery of the same deployment answers as before, writing nothing new.
    expect(await g.onRequest(request(github, { runId: 77, deploymentId: 2 }), github, log)).toBe("rejected");
    expect(github.written.map((w) => [w.record["deployment_id"], w.record["state"]])).toEqual([
      [1, "approved"],
      [2, "rejected"],
    ]);
  });

  test("a rejection GitHub's brief failure caused does not stick to the re-run", async () => {
    const github = history();
    github.failing.add("audit.allComments");
    expect(await gate().onRequest(request(github, { runId: 88, deploymentId: 1 }), github, log)).toBe("rejected");
    github.failing.delete("audit.allComments");
    expect(await gate().onRequest(request(github, { runId: 88, deploymentId: 2 }), github, log)).toBe("approved");
  });
});

describe("where the environment's governance began is decided by the environment, not a file's name", () => {
  test("after the policy file is renamed, an older violation still breaks the chain", async () => {
    // production's policy moved from policies/production.yml to policies/prod.yml; the rename's record cites the old name.
    const github = new FakeDeploymentGitHub({ "prod.yml": POLICY() });
    github.commit(sha("0"), { paths: ["README.md"] });
    github.policiesByCommit.set(sha("0"), null);
    github.commit(sha("a"), { paths: ["policies/production.yml"] });
    github.commit(sha("b"), { pull: 41, merge: [changeRecord("merge", "pending", { pull: 41 })] });
    github.commit(sha("c"), { pull: 42, paths: ["policies/prod.yml"], merge: [changeRecord("merge", null, { pull: 42 })] });
    github.commit(sha("d"), { pull: 43, merge: [changeRecord("merge", "approved", { pull: 43 })] });
    expect(await gate().onRequest(request(github), github, log)).toBe("rejected");
    expect(github.written[0]?.record["reasons"]).toEqual(["bbbbbbb contains #41, merged without approval of production (pending)"]);
  });

  test("a parent whose policy of the environment cannot be read does not end the walk as its origin", async () => {
    const github = history();
    // At B's parent the production file was broken beyond reading its environment: it may have governed production.
    github.policiesByCommit.set(sha("a"), loadPolicySet([{ path: "policies/prod.yml", text: "version: 1\nenvironment: [" }]));
    github.commit(sha("d"), { pull: 44, merge: [changeRecord("merge", null, { pull: 44 })] });
    github.files.set(sha("b"), [{ path: "README.md", status: "modified" }]);
    github.comments.delete(41);
    await gate().onRequest(request(github), github, log);
    const chain = github.written[0]?.record["chain"] as { end: string; links: { sha: string; status: string }[] };
    expect(chain.links.find((l) => l.sha === sha("b"))?.status).not.toBe("origin");
  });
});

describe("one violation does not stall an environment for good", () => {
  const WITH_GLASS = "break_glass: { label: emergency, approvals: 1, approvers: { users: [carol] } }";
  const FROZEN = "freeze: [{ name: release freeze, from: 2026-11-25T00:00:00Z, until: 2026-11-26T00:00:00Z }]";
  /** main with an admin's hotfix D pushed directly without approval, then approved merges. */
  function stalled(extra = WITH_GLASS): FakeDeploymentGitHub {
    const github = history(POLICY(extra));
    github.commit(sha("d"), { checks: [changeRecord("push", "blocked", { after: sha("d") })] });
    return github;
  }
  const merge = (github: FakeDeploymentGitHub, i: number, breakGlass = false): string => {
    const s = (0x700 + i).toString(16).padStart(40, "e");
    github.commit(s, { pull: 60 + i, merge: [changeRecord("merge", "approved", { pull: 60 + i, breakGlass })] });
    return s;
  };

  test("every later revision Flux applies carries the violation, but it has one exception issue, not one per revision", async () => {
    const github = stalled();
    for (let i = 0; i < 4; i++) {
      const s = merge(github, i);
      expect(await verifier().onReport(report(s), github, log)).toBe("recorded");
    }
    expect(github.written.map((w) => w.record["compliant"])).toEqual([false, false, false, false]);
    expect(github.issues.map((i) => i.title)).toEqual(["Compliance exception: ddddddd breaks the approval chain of production on main"]);
    expect(github.issues[0]?.body).toContain(`compliance-gate rebaseline: production main ${sha("d")}`);
  });

  test("a break-glass fix deploys over an older violation the app recorded, during a freeze too — never over a change without a record", async () => {
    const github = stalled(`${WITH_GLASS}\n${FROZEN}`);
    merge(github, 1, true);
    expect(await gate(new ManualClock(Date.parse("2026-11-25T10:00:00Z"))).onRequest(request(github), github, log)).toBe("approved");
    expect(github.written[0]?.record).toMatchObject({ state: "approved", break_glass: true, reasons: [], excepted: ["ddddddd was pushed directly without approval of production (blocked)"] });
    expect(github.answers[0]?.comment).toContain("Break glass goes out over older violations");

    const unknown = history(POLICY(`${WITH_GLASS}\n${FROZEN}`));
    unknown.commit(sha("d"));
    merge(unknown, 1, true);
    expect(await gate().onRequest(request(unknown), unknown, log)).toBe("rejected");
    expect(unknown.written[0]?.record["reasons"]).toEqual(["ddddddd was pushed directly and has no audit record"]);
  });

  describe("a re-baseline: an approver closes the issue", () => {
    /** The app's own exception issue (or, with `openedBy`, someone's), closed by `by`. */
    const closed = (github: FakeDeploymentGitHub, by: string, body: string, number = 100, openedBy: string | null = null) => ({
      owner: "acme",
      repo: "gitops",
      defaultBranch: "main",
      issue: number,
      body,
      openedBy: openedBy ?? "compliance-gate[bot]",
      openedByApp: openedBy === null,
      closedBy: by,
      closedByBot: false,
      closedAt: "2026-11-26T09:00:00Z",
    });
    const rebaseliner = (): Rebaseliner => {
      const clock = new ManualClock();
      return new Rebaseliner({ clock: () => clock.now, later: new InProcessLater({ clock: () => clock.now, timers: clock, log }) });
    };

    test("closed by an approver of production: sealed, and later deployments are judged from there", async () => {
      const github = stalled();
      const s = merge(github, 0);
      await verifier().onReport(report(s), github, log);
      const issue = github.issues[0] as { body: string };
      expect(await gate().onRequest(request(github, { runId: 1 }), github, log)).toBe("rejected");

      expect(await rebaseliner().onClosed(closed(github, "alice", issue.body), github, log)).toBe("rebaselined");
      const record = github.checks.get(sha("d"))?.find((r) => r["kind"] === "rebaseline");
      expect(record).toMatchObject({ environment: "production", branch: "main", sha: sha("d"), issue: 100, accepted_by: "alice", via: ["SRE: user"], accepted_problems: ["ddddddd was pushed directly without approval of production (blocked)"] });
      expect(verifyRecord(record).ok).toBe(true);
      expect(github.issueComments[0]?.body).toContain("Re-baseline recorded");

      expect(await gate().onRequest(request(github, { runId: 2 }), github, log)).toBe("approved");
      expect(github.written.at(-1)?.record["chain"]).toMatchObject({ end: "baseline", baseline: sha("d") });
      // Closing it again (a redelivery) records nothing more.
      expect(await rebaseliner().onClosed(closed(github, "alice", issue.body), github, log)).toBe("already");
    });

    test("closed by someone who approves nothing of production, or who made a change it accepts: refused, and said on the issue", async () => {
      const github = stalled();
      github.policies = policySet(POLICY().replace("users: [alice]", "users: [alice, mallory]"));
      merge(github, 0);
      const body = `please\n\n${"compliance-gate rebaseline: production main " + sha("d")}\n`;
      expect(await rebaseliner().onClosed(closed(github, "carol", body), github, log)).toBe("refused");
      expect(await rebaseliner().onClosed(closed(github, "mallory", body), github, log)).toBe("refused");
      expect(github.issueComments.map((c) => c.body)).toEqual([
        expect.stringContaining("carol is not an approver of a rule of production that needs approvals"),
        expect.stringContaining("mallory made one of the changes this would accept (ddddddd): another approver must close it"),
      ]);
      expect([...github.checks.values()].flat().some((r) => r["kind"] === "rebaseline")).toBe(false);
    });

    test("a member of an approving team may; a commit off the branch, or a branch production does not deploy from, may not be accepted", async () => {
      const github = stalled();
      github.policies = policySet(POLICY().replace("users: [alice]", "teams: [sre]"));
      github.teamMembers.set("acme/sre", ["dave"]);
      expect(await rebaseliner().onClosed(closed(github, "dave", `compliance-gate rebaseline: production main ${sha("9")}`), github, log)).toBe("refused");
      expect(await rebaseliner().onClosed(closed(github, "dave", `compliance-gate rebaseline: production x ${sha("d")}`), github, log)).toBe("refused");
      expect(await rebaseliner().onClosed(closed(github, "dave", `compliance-gate rebaseline: production main ${sha("d")}`), github, log)).toBe("rebaselined");
      expect(github.issueComments.slice(0, 2).map((c) => c.body)).toEqual([
        expect.stringContaining("9999999 is not on main's first-parent line"),
        expect.stringContaining("production does not deploy from x"),
      ]);
    });

    test("the line counts in the app's own issue or one the approver opened, never in an issue someone else opened for them to close", async () => {
      const github = stalled();
      const line = `compliance-gate rebaseline: production main ${sha("d")}`;
      expect(await rebaseliner().onClosed(closed(github, "alice", `Tidy up the README\n\n${line}`, 101, "mallory"), github, log)).toBe("refused");
      expect(github.issueComments[0]?.body).toContain("the issue was opened by @&#8203;mallory");
      expect(await rebaseliner().onClosed(closed(github, "alice", `Accepting after review\n\n${line}`, 102, "Alice"), github, log)).toBe("rebaselined");
    });

    test("an issue without the line, or with two different ones, asks for nothing", async () => {
      const github = stalled();
      expect(await rebaseliner().onClosed(closed(github, "alice", "done"), github, log)).toBe("not_asked");
      const two = `compliance-gate rebaseline: production main ${sha("d")}\ncompliance-gate rebaseline: production main ${sha("c")}`;
      expect(await rebaseliner().onClosed(closed(github, "alice", two), github, log)).toBe("not_asked");
      expect(github.issueComments).toEqual([]);
    });
  });

  test("past the bound: one issue for the environment and branch however many revisions, and a re-baseline at a revision ends the stall", async () => {
    const github = history();
    let tip = sha("c");
    for (let i = 0; i < 105; i++) tip = merge(github, i);
    for (const at of [tip, (0x700 + 103).toString(16).padStart(40, "e")]) await verifier().onReport(report(at), github, log);
    expect(github.issues.map((i) => i.title)).toEqual(["Compliance exception: the approval chain of production on main cannot be verified"]);
    const clock = new ManualClock();
    const r = new Rebaseliner({ clock: () => clock.now, later: new InProcessLater({ clock: () => clock.now, timers: clock, log }) });
    expect(await r.onClosed({ owner: "acme", repo: "gitops", defaultBranch: "main", issue: 100, body: github.issues[0]?.body ?? "", openedBy: "compliance-gate[bot]", openedByApp: true, closedBy: "alice", closedByBot: false, closedAt: "2026-11-26T09:00:00Z" }, github, log)).toBe("rebaselined");
    expect(await gate().onRequest(request(github), github, log)).toBe("approved");
  });
});

describe("globs and several gated branches work, failing closed only where truly unknown", () => {
  test("a policy whose scope.branches are globs: an applied revision is judged on the branch they match", async () => {
    const github = history(POLICY("", '["env/*"]'));
    github.tips.set("env/production", sha("c"));
    github.tips.set("env/staging", sha("b"));
    expect(await verifier().onReport(report(sha("c")), github, log)).toBe("recorded");
    expect(github.written[0]?.record).toMatchObject({ compliant: true, branch: "env/production", reasons: [] });
    expect(github.issues).toEqual([]);
    // A commit on no branch the globs match is a violation still.
    github.parents.set(sha("9"), [sha("c")]);
    github.tips.set("feature", sha("9"));
    await verifier().onReport(report(sha("9")), github, log);
    expect(github.written[1]?.record).toMatchObject({ compliant: false, branch: null });
  });

  test("audit trace of a glob-only environment: the one branch the globs match, or --branch", async () => {
    const github = history(POLICY("", '["env/*"]'));
    github.tips.set("env/production", sha("c"));
    const trace = await traceChain({ github, owner: "acme", repo: "gitops", defaultBranch: "main", environment: "production" });
    expect(trace).toMatchObject({ ok: true, branch: "env/production", sha: sha("c") });
    github.tips.set("env/other", sha("b"));
    await expect(traceChain({ github, owner: "acme", repo: "gitops", defaultBranch: "main", environment: "production" })).rejects.toThrow("name one with --branch");
    expect(await traceChain({ github, owner: "acme", repo: "gitops", defaultBranch: "main", environment: "production", branch: "env/other" })).toMatchObject({ ok: true, branch: "env/other", sha: sha("b") });
  });

  test("scope.branches [main, release/*]: a release branch's chain counts the records of the merges into main it carries, and its own merges by their check-run copies", async () => {
    const github = history(POLICY("", '[main, "release/*"]'));
    github.tips.set("release/1", sha("c"));
    // #70 merged into release/1 as R: GitHub names no pull request of a commit off the default branch; the copy of its record does.
    github.commit(sha("7"), { branch: "release/1", pull: 70, checks: [changeRecord("merge", "approved", { pull: 70, at: sha("7") })] });
    expect(await gate().onRequest(request(github, { sha: sha("7"), ref: "release/1" }), github, log)).toBe("approved");
    const chain = github.written[0]?.record["chain"] as { links: { sha: string; status: string; pull_request: number | null }[] };
    expect(chain.links.map((l) => [l.sha, l.status, l.pull_request])).toEqual([
      [sha("7"), "approved", 70],
      [sha("c"), "approved", 43],
      [sha("b"), "approved", 41],
      [sha("a"), "origin", null],
    ]);
  });
});

describe("the walk's corners", () => {
  test("a break-glass commit already deployed during a freeze deploys again during it: its own approval does not hide the glass", async () => {
    const FROZEN = "freeze: [{ name: release freeze, from: 2026-11-25T00:00:00Z, until: 2026-11-26T00:00:00Z }]";
    const github = history(POLICY(FROZEN));
    github.commit(sha("d"), { pull: 46, merge: [changeRecord("merge", "approved", { pull: 46, breakGlass: true })] });
    expect(await gate().onRequest(request(github, { runId: 1 }), github, log)).toBe("approved");
    expect(await gate().onRequest(request(github, { runId: 2 }), github, log)).toBe("approved");
    expect(github.written[1]?.record).toMatchObject({ break_glass: true, chain: { end: "baseline", baseline: sha("d") } });
  });

  test("a history GitHub's listing ends before the bound: said as such, not as more commits than were walked", async () => {
    const github = history();
    github.commit(sha("d"));
    const listing = github.firstParents.bind(github);
    github.firstParents = async (s: string) => ({ ...(await listing(s, 3)), exhausted: false });
    await gate().onRequest(request(github), github, log);
    expect(github.written[0]?.record["reasons"]).toEqual([
      "ddddddd was pushed directly and has no audit record",
      "the history could be listed only 3 commits back (GitHub's listing ends at 1,000 commits, merged ones included) before any approved deployment of production: the chain cannot be verified",
    ]);
  });

  test("the commits without a record of a batch are looked at together, not one after another", async () => {
    const github = history();
    for (const c of ["4", "5", "6", "7"]) github.commit(sha(c), { paths: ["README.md"], checks: [] });
    await gate().onRequest(request(github), github, log);
    const asked = github.calls.filter((c) => c.startsWith("policies.") || c === "commits.files");
    // The default branch's policies, then each of the four and A (the origin) asks for its parent's policies before any asks for its files.
    expect(asked.slice(0, 6)).toEqual(["policies.atBranchTip", ...Array(5).fill("policies.atCommit")]);
    expect(asked.slice(6)).toEqual(Array(4).fill("commits.files"));
  });
});
