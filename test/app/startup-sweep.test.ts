// The start-up sweep: after a restart (or Redis losing its data), the open PRs of gated base branches
// whose checks are missing, older than their last change, or show a success are re-evaluated, as bulk
// work; the others cost one read of their check runs; an ungated base costs one read of its tip.
import pino from "pino";
import type { EvaluationRequest } from "../../src/app/evaluation-memory.js";
import { STARTUP_SWEEP_JOB, sweepInstallation, sweepInstallations, sweepRepository } from "../../src/app/startup-sweep.js";
import type { GitHubClient } from "../../src/github/client.js";
import { FakeLater, FakeRepository, policyYaml, sha } from "../fakes/ports.js";

const log = pino({ level: "silent" });

test("what a restart may have lost is evaluated again; what is up to date and ungated is left alone", async () => {
  const repo = new FakeRepository();
  repo.tips.set("legacy", sha("legacy-tip"));
  repo.policyFiles.set(sha("legacy-tip"), {});
  repo.pull(1); // no checks: its evaluation was lost
  repo.pull(2); // checks newer than its last change
  repo.pull(3, { updated_at: "2026-11-25T09:45:00Z" }); // a review after its checks
  repo.pull(4, { base: { ref: "legacy", repo: { default_branch: "main" } } }); // no policies on its base
  repo.pull(5, { state: "closed" });
  const ports = repo.ports();
  for (const number of [2, 3]) await ports.checks.post({ sha: sha(`h${number}`), externalId: `pr:${number}` }, { name: "compliance/production", verdict: "in_progress", output: { title: "t", summary: "s" } });
  const later = new FakeLater();
  const queued = await sweepRepository(later, ports, log, { owner: "acme", repo: "gitops", installationId: 7, defaultBranch: "main" });
  expect(queued).toBe(2);
  expect(later.ran.map((job) => [job.key, job.priority, (job.payload as EvaluationRequest).reasons])).toEqual([
    ["acme/gitops#1", "bulk", ["start-up sweep"]],
    ["acme/gitops#3", "bulk", ["start-up sweep"]],
  ]);
  expect(later.ran[0]?.payload).toMatchObject({ installationId: 7, base: "main", head: sha("h1"), force: false });
  // One listing, one tip per base, one read of check runs per gated PR.
  expect(repo.calls.filter((c) => !c.startsWith("checks.post"))).toEqual([
    "pulls.openInto undefined",
    "policies.atBranchTip main",
    `checks.ours ${sha("h1")}`,
    `checks.ours ${sha("h2")}`,
    `checks.ours ${sha("h3")}`,
    "policies.atBranchTip legacy",
  ]);
});

test("a base whose policies have freeze windows ahead: every open PR is evaluated again (its timer died with the process)", async () => {
  const repo = new FakeRepository();
  repo.policyFiles.set(sha("tip"), { "policies/production.yml": policyYaml("production", "{ users: [alice] }", "freeze: [{ name: year-end, from: 2026-12-20T00:00:00Z, until: 2027-01-04T00:00:00Z }]") });
  repo.pull(1);
  repo.pull(2);
  const ports = repo.ports();
  for (const number of [1, 2]) await ports.checks.post({ sha: sha(`h${number}`), externalId: `pr:${number}` }, { name: "compliance/production", verdict: "in_progress", output: { title: "t", summary: "s" } });
  const later = new FakeLater();
  expect(await sweepRepository(later, ports, log, { owner: "acme", repo: "gitops", installationId: 7 }, Date.parse("2026-11-30T10:00:00Z"))).toBe(2);
  // Nothing else is read to decide: the freeze decides.
  expect(repo.calls.filter((c) => c.startsWith("checks.ours"))).toEqual([]);
});

test("the sweep lists the installations and their repositories (archived ones left), each a bulk job of its own", async () => {
  const answers: Record<string, unknown> = {
    "GET /app/installations": [{ id: 7 }, { id: 8 }],
    "GET /installation/repositories": {
      total_count: 2,
      repositories: [
        { name: "gitops", owner: { login: "acme" }, default_branch: "main", archived: false },
        { name: "old", owner: { login: "acme" }, default_branch: "main", archived: true },
      ],
    },
  };
  const client: GitHubClient = { request: async (route) => ({ status: 200, headers: {}, data: answers[route] }) };
  const later = new FakeLater();
  await sweepInstallations(later, async () => client, log);
  expect(later.ran.map((job) => [job.kind, job.installationId, job.priority])).toEqual([
    ["sweep-installation", 7, "bulk"],
    ["sweep-installation", 8, "bulk"],
  ]);
  await sweepInstallation(later, client, 7);
  expect(later.ran.slice(2).map((job) => [job.kind, job.key, job.payload])).toEqual([["sweep-repository", "sweep:acme/gitops", { owner: "acme", repo: "gitops", installationId: 7, defaultBranch: "main" }]]);
  expect(STARTUP_SWEEP_JOB.priority).toBe("bulk");
});

test("a PR whose check shows a success is evaluated again, however recent the check: a dismissal need not move updated_at", async () => {
  const repo = new FakeRepository();
  // Checks written after the PR's last change, as far as updated_at tells.
  repo.checksAt = "2026-11-25T09:50:00Z";
  repo.pull(1, { updated_at: "2026-11-25T09:45:00Z" });
  repo.pull(2, { updated_at: "2026-11-25T09:45:00Z" });
  const ports = repo.ports();
  // #1 was approved (its dismissal's job was lost); #2 fails, which a lost job cannot have made wrongly pass.
  await ports.checks.post({ sha: sha("h1"), externalId: "pr:1" }, { name: "compliance/production", verdict: "success", output: { title: "Approved", summary: "s" } });
  await ports.checks.post({ sha: sha("h2"), externalId: "pr:2" }, { name: "compliance/production", verdict: "failure", output: { title: "Needs approval", summary: "s" } });
  const later = new FakeLater();
  expect(await sweepRepository(later, ports, log, { owner: "acme", repo: "gitops", installationId: 7 })).toBe(1);
  expect(later.ran.map((job) => job.key)).toEqual(["acme/gitops#1"]);
});

test("a PR evaluated since the start (its key waits, runs or ran in this process) is left alone, without reading its checks", async () => {
  const repo = new FakeRepository();
  repo.policyFiles.set(sha("tip"), { "policies/production.yml": policyYaml("production", "{ users: [alice] }", "freeze: [{ name: year-end, from: 2026-12-20T00:00:00Z, until: 2027-01-04T00:00:00Z }]") });
  for (const number of [1, 2, 3]) repo.pull(number); // no checks: each would be evaluated again
  const ports = repo.ports();
  const later = Object.assign(new FakeLater(), { coveredSinceStart: (key: string) => key === "acme/gitops#2" });
  expect(await sweepRepository(later, ports, log, { owner: "acme", repo: "gitops", installationId: 7 }, Date.parse("2026-11-30T10:00:00Z"))).toBe(2);
  expect(later.ran.map((job) => job.key)).toEqual(["acme/gitops#1", "acme/gitops#3"]);
  expect(repo.calls.filter((c) => c.includes(sha("h2")))).toEqual([]);
});

test("the in-process queue covers a key from its first run since the start, and while it waits", async () => {
  const { InProcessLater } = await import("../../src/app/later.js");
  const later = new InProcessLater({ clock: Date.now, log, slots: { interactive: 1, bulk: 1 } });
  let release = (): void => undefined;
  later.handle("work", { run: () => new Promise<void>((resolve) => (release = resolve)) });
  await later.start();
  expect(later.coveredSinceStart("a")).toBe(false);
  await later.enqueue({ kind: "work", key: "a", payload: {} });
  await later.enqueue({ kind: "work", key: "b", payload: {} });
  expect(later.coveredSinceStart("b")).toBe(true); // waiting
  release();
  await new Promise((resolve) => setImmediate(resolve));
  release();
  await later.idle();
  expect([later.coveredSinceStart("a"), later.coveredSinceStart("b"), later.coveredSinceStart("c")]).toEqual([true, true, false]);
});

test("a PR whose job waits in Redis (not covered: the loss may have taken its ticket) is queued without reading its checks", async () => {
  const repo = new FakeRepository();
  for (const number of [1, 2]) repo.pull(number);
  const ports = repo.ports();
  // Both show a check newer than their last change: only #1's waiting job queues it.
  for (const number of [1, 2]) await ports.checks.post({ sha: sha(`h${number}`), externalId: `pr:${number}` }, { name: "compliance/production", verdict: "in_progress", output: { title: "t", summary: "s" } });
  const later = Object.assign(new FakeLater(), { coveredSinceStart: async () => false, hasWork: async (key: string) => key === "acme/gitops#1" });
  expect(await sweepRepository(later, ports, log, { owner: "acme", repo: "gitops", installationId: 7 })).toBe(1);
  expect(later.ran.map((job) => [job.key, job.priority])).toEqual([["acme/gitops#1", "bulk"]]);
  expect(repo.calls.filter((c) => c.startsWith("checks.ours"))).toEqual([`checks.ours ${sha("h2")}`]);
});
