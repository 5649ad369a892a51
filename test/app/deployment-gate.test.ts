// The deployment gate (SPEC §8.1) and the applied-revision check (§8.2) as tables over the port's
// fake: what is answered, what is recorded, and why — an approved chain, a direct push in it, a
// freeze now, break glass, an unknown commit, GitHub failing, and reports repeated.
import pino from "pino";
import { AppliedVerifier, type AppliedReport } from "../../src/app/applied-verify.js";
import { DeploymentGate, type DeploymentRequest } from "../../src/app/deployment-gate.js";
import { InProcessLater } from "../../src/app/later.js";
import type { AppliedReporter } from "../../src/audit/verdict-record.js";
import { verifyRecord } from "../../src/audit/seal.js";
import { changeRecord, FakeDeploymentGitHub } from "../fakes/deployment-github.js";
import { ManualClock } from "./helpers.js";

const log = pino({ level: "silent" });
const sha = (c: string): string => c.repeat(40);

const POLICY = (extra = ""): string =>
  [
    "version: 1",
    "environment: production",
    "scope: { branches: [main], paths: [clusters/production/**] }",
    "rules: [{ name: SRE, paths: [clusters/production/**], approvals: 1, approvers: { users: [alice] } }]",
    'verify: { statuses: ["kustomization/apps-production/*"], deployments: [production] }',
    extra,
  ].join("\n");
/** helpers' NOW is a Wednesday: this window holds it. */
const FROZEN = "freeze: [{ name: release freeze, from: 2026-11-25T00:00:00Z, until: 2026-11-26T00:00:00Z }]";

/** main: A (the policy arrives), B (#41, approved), C (#43, approved): the usual history. */
function history(policy = POLICY()): FakeDeploymentGitHub {
  const github = new FakeDeploymentGitHub({ "production.yml": policy });
  github.policiesByCommit.set(sha("0"), null);
  github.commit(sha("0"), { paths: ["README.md"] });
  github.commit(sha("a"), { paths: ["policies/production.yml"] });
  github.policiesByCommit.set(sha("0"), null);
  github.commit(sha("b"), { pull: 41, merge: [changeRecord("merge", "approved", { pull: 41 })] });
  github.commit(sha("c"), { pull: 43, title: "Bump api", merge: [changeRecord("merge", "approved", { pull: 43 })] });
  return github;
}

function request(github: FakeDeploymentGitHub, overrides: Partial<DeploymentRequest> = {}): DeploymentRequest {
  return { owner: "acme", repo: "gitops", defaultBranch: "main", runId: 7, environment: "production", sha: github.tips.get("main") ?? null, ref: "main", event: "push", sender: "carol", deploymentId: 9, ...overrides };
}

/** A gate whose retries run on `clock` against `github` (as a fresh client would reach it). */
function gate(clock = new ManualClock(), github?: FakeDeploymentGitHub): DeploymentGate {
  const later = new InProcessLater({ clock: () => clock.now, timers: clock, log });
  const made = new DeploymentGate({ clock: () => clock.now, later });
  if (github) later.handle("answer-deployment", { run: async (job) => void (await made.onRequest(job.payload as DeploymentRequest, github, log)) });
  return made;
}

describe("a deployment waiting on the app", () => {
  test.each<[string, (g: FakeDeploymentGitHub) => Partial<DeploymentRequest> | void, string, string[]]>([
    ["every change since the policy arrived was approved", () => {}, "approved", []],
    [
      "a direct push in the chain",
      (g) => {
        g.commit(sha("d"), { checks: [changeRecord("push", "blocked", { after: sha("d") })] });
      },
      "rejected",
      ["ddddddd was pushed directly without approval of production (blocked)"],
    ],
    [
      "a merge without approval in the chain, under a newer approved one",
      (g) => {
        g.commit(sha("d"), { pull: 44, merge: [changeRecord("merge", "pending", { pull: 44 })] });
        g.commit(sha("e"), { pull: 45, merge: [changeRecord("merge", "approved", { pull: 45 })] });
      },
      "rejected",
      ["ddddddd contains #44, merged without approval of production (pending)"],
    ],
    [
      "a direct push without any record",
      (g) => {
        g.commit(sha("d"));
      },
      "rejected",
      ["ddddddd was pushed directly and has no audit record"],
    ],
    ["an unknown commit", () => ({ sha: sha("9") }), "rejected", ["9999999 is not on a branch production deploys from (main)"]],
    ["a request whose commit neither it nor its run names", () => ({ sha: null }), "rejected", ["neither the request nor its workflow run names a commit"]],
    ["a GitHub environment no policy guards", () => ({ environment: "staging" }), "rejected", ["no policy on main guards the GitHub environment staging (deploy.environments)"]],
    [
      "GitHub failing while the chain is read",
      (g) => {
        g.failing.add("audit.allComments");
      },
      "rejected",
      ["cannot judge the deployment: GitHub API error 502 while calling audit.allComments"],
    ],
    [
      "no policies on the branch",
      (g) => {
        g.policies = null;
      },
      "rejected",
      ["main has no policies: nothing says who may deploy to production"],
    ],
  ])("%s", async (_title, arrange, state, reasons) => {
    const github = history();
    const overrides = arrange(github) ?? {};
    const answer = await gate().onRequest(request(github, overrides), github, log);
    expect(answer).toBe(state);
    expect(github.answers).toEqual([expect.objectContaining({ runId: 7, environment: overrides.environment ?? "production", state })]);
    const sealed = github.written.map((w) => w.record);
    if (overrides.sha === null) {
      expect(sealed).toEqual([]);
      return;
    }
    expect(sealed).toHaveLength(1);
    expect(sealed[0]).toMatchObject({ kind: "deployment", state, reasons, run_id: 7, github_environment: overrides.environment ?? "production", compliant: state === "approved" });
    expect(verifyRecord(sealed[0]).ok).toBe(true);
    for (const reason of reasons) expect(github.answers[0]?.comment).toContain(reason);
  });

  test("during a freeze an approved chain is rejected; the change behind the commit breaking glass goes out", async () => {
    const frozen = history(POLICY(FROZEN));
    expect(await gate().onRequest(request(frozen), frozen, log)).toBe("rejected");
    expect(frozen.written[0]?.record).toMatchObject({ freeze: "release freeze", break_glass: false, reasons: ["production is frozen now (release freeze), and ccccccc did not break glass"] });

    const glass = history(POLICY(FROZEN));
    glass.commit(sha("d"), { pull: 46, merge: [changeRecord("merge", "approved", { pull: 46, breakGlass: true })] });
    expect(await gate().onRequest(request(glass), glass, log)).toBe("approved");
    expect(glass.written[0]?.record).toMatchObject({ freeze: "release freeze", break_glass: true, reasons: [] });
  });

  test("a request without its deployment's commit is judged by the commit of the run that waits", async () => {
    const github = history();
    github.runs.set(7, { sha: sha("c"), branch: "main" });
    expect(await gate().onRequest(request(github, { sha: null, ref: null }), github, log)).toBe("approved");
    expect(github.written[0]?.record).toMatchObject({ sha: sha("c"), ref: "main", state: "approved" });
  });

  test("the record lists the links that reached production and where the walk stopped", async () => {
    const github = history();
    await gate().onRequest(request(github), github, log);
    expect(github.written[0]?.record["chain"]).toEqual({
      end: "origin",
      baseline: null,
      links: [
        { sha: sha("c"), status: "approved", pull_request: 43, record: expect.stringMatching(/^sha256:/), reason: null },
        { sha: sha("b"), status: "approved", pull_request: 41, record: expect.stringMatching(/^sha256:/), reason: null },
        { sha: sha("a"), status: "origin", pull_request: null, record: null, reason: null },
      ],
    });
  });

  test("a redelivery answers as before and writes no second record; the next deployment stops at the approved one", async () => {
    const github = history();
    await gate().onRequest(request(github), github, log);
    await gate().onRequest(request(github), github, log);
    expect(github.answers.map((a) => a.state)).toEqual(["approved", "approved"]);
    expect(github.written).toHaveLength(1);

    github.commit(sha("d"), { pull: 47, merge: [changeRecord("merge", "approved", { pull: 47 })] });
    expect(await gate().onRequest(request(github, { runId: 8 }), github, log)).toBe("approved");
    const chain = github.written[1]?.record["chain"] as { end: string; baseline: string; links: { sha: string; status: string }[] };
    expect(chain).toMatchObject({ end: "baseline", baseline: sha("c") });
    expect(chain.links.map((l) => [l.sha, l.status])).toEqual([
      [sha("d"), "approved"],
      [sha("c"), "baseline"],
    ]);
  });

  test("an answer GitHub refuses is tried again later, with the record it already wrote", async () => {
    const clock = new ManualClock();
    const github = history();
    github.failing.add("deployments.answerProtectionRule");
    const g = gate(clock, github);
    expect(await g.onRequest(request(github, { installationId: 1 }), github, log)).toBe("failed");
    expect(github.written).toHaveLength(1);
    github.failing.delete("deployments.answerProtectionRule");
    clock.advanceTo(clock.now + 10_000);
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    expect(github.answers.map((a) => a.state)).toEqual(["approved"]);
    expect(github.written).toHaveLength(1);
  });
});

describe("a revision an operator applied", () => {
  const flux: AppliedReporter = { type: "status", context: "kustomization/apps-production/1f2e3d4c", id: 1, creator: "flux", target_url: null };
  /** A verifier whose retries run on `clock` against `github` (as a fresh client would reach it). */
  const verifier = (clock = new ManualClock(), github?: FakeDeploymentGitHub): AppliedVerifier => {
    const later = new InProcessLater({ clock: () => clock.now, timers: clock, log });
    const made = new AppliedVerifier({ clock: () => clock.now, later });
    if (github) later.handle("verify-applied", { run: async (job) => void (await made.onReport(job.payload as AppliedReport, github, log)) });
    return made;
  };
  const report = (github: FakeDeploymentGitHub, reporter: AppliedReporter = flux): AppliedReport => ({ owner: "acme", repo: "gitops", defaultBranch: "main", sha: github.tips.get("main") as string, reporter, reportedAt: "2026-11-25T10:00:00Z" });

  test("an approved revision gets an applied record and no issue", async () => {
    const github = history();
    expect(await verifier().onReport(report(github), github, log)).toBe("recorded");
    expect(github.written.map((w) => w.record)).toEqual([expect.objectContaining({ kind: "applied", environment: "production", compliant: true, reporter: flux })]);
    expect(github.issues).toEqual([]);
  });

  test("an unapproved revision: an applied record and one exception issue, however often it is reported and by whom", async () => {
    const github = history();
    github.commit(sha("d"));
    expect(await verifier().onReport(report(github), github, log)).toBe("recorded");
    expect(await verifier().onReport(report(github), github, log)).toBe("already_recorded");
    const argo: AppliedReporter = { type: "deployment", environment: "production", deployment_id: 5, id: 2, creator: "argocd[bot]", target_url: null };
    expect(await verifier().onReport(report(github, argo), github, log)).toBe("already_recorded");
    expect(github.written).toHaveLength(1);
    expect(github.written[0]).toMatchObject({ compliant: false, title: "Applied in production: compliance violation: unapproved revision" });
    expect(github.issues).toHaveLength(1);
    expect(github.issues[0]?.title).toBe("Compliance exception: ddddddd breaks the approval chain of production on main");
    expect(github.issues[0]?.body).toContain("ddddddd was pushed directly and has no audit record");
  });

  test("a reporter no policy names is left alone", async () => {
    const github = history();
    expect(await verifier().onReport(report(github, { ...flux, context: "ci/build" }), github, log)).toBe("not_named");
    expect(github.written).toEqual([]);
  });

  /** Lets timers' jobs run: each hop of a fired job awaits a few promises. */
  const settle = async (): Promise<void> => {
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  };

  test("a revision reported before its merge's record is written waits for it, then is recorded approved", async () => {
    const clock = new ManualClock();
    const github = history();
    // #47 merged as D a moment ago; the recorder has not written its record yet.
    github.commit(sha("d"), { pull: 47 });
    const reported = { ...report(github), reportedAt: new Date(clock.now).toISOString(), installationId: 1 };
    expect(await verifier(clock, github).onReport(reported, github, log)).toBe("deferred");
    expect(github.written).toEqual([]);
    github.comments.set(47, [changeRecord("merge", "approved", { pull: 47, at: sha("d") })]);
    clock.advanceTo(clock.now + 2 * 60_000);
    await settle();
    expect(github.written.map((w) => w.record["compliant"])).toEqual([true]);
    expect(github.issues).toEqual([]);
  });

  test("a record still missing once the report is 15 minutes old: the revision is a violation", async () => {
    const clock = new ManualClock();
    const github = history();
    github.commit(sha("d"), { pull: 47 });
    const reported = { ...report(github), reportedAt: new Date(clock.now).toISOString(), installationId: 1 };
    expect(await verifier(clock, github).onReport(reported, github, log)).toBe("deferred");
    for (let i = 0; i < 8; i++) {
      clock.advanceTo(clock.now + 2 * 60_000);
      await settle();
    }
    expect(github.written.map((w) => w.record["reasons"])).toEqual([["ddddddd contains #47, which has no audit record"]]);
    expect(github.issues).toHaveLength(1);
  });

  test("GitHub failing past Later's own retries: tried again 15 minutes later, and after", async () => {
    const clock = new ManualClock();
    const github = history();
    github.failing.add("deployments.firstParents");
    expect(await verifier(clock, github).onReport({ ...report(github), installationId: 1 }, github, log)).toBe("failed");
    for (const wait of [10_000, 60_000, 300_000]) {
      clock.advanceTo(clock.now + wait);
      await settle();
    }
    expect(github.written).toEqual([]);
    github.failing.delete("deployments.firstParents");
    clock.advanceTo(clock.now + 15 * 60_000);
    await settle();
    expect(github.written.map((w) => w.record["compliant"])).toEqual([true]);
  });

  test("GitHub failing: tried again later, never recorded as approved", async () => {
    const clock = new ManualClock();
    const github = history();
    github.failing.add("deployments.firstParents");
    expect(await verifier(clock, github).onReport({ ...report(github), installationId: 1 }, github, log)).toBe("failed");
    expect(github.written).toEqual([]);
    github.failing.delete("deployments.firstParents");
    clock.advanceTo(clock.now + 10_000);
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    expect(github.written.map((w) => w.record["compliant"])).toEqual([true]);
  });
});
