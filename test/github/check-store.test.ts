// Writing only what changes: a check run is written when what it shows differs from what this app
// last wrote there (the check store), or — when the store does not know and the commit is not new
// — from one read of the commit's check runs; a write that fails leaves the check unknown.
import { CheckMemory, GitHubCheckRuns, MemoryCheckStore, checkRunBody, type CheckStore } from "../../src/github/check-runs.js";
import { GitHubSession, type GitHubClient, type GitHubResponse } from "../../src/github/client.js";
import type { PlannedCheck } from "../../src/render/check-run.js";

const SHA = "a".repeat(40);
const NOW = Date.parse("2026-11-30T10:00:00Z");

/** GitHub's check runs of the commit, as this fake holds them: every POST lands, the GET lists the latest of each name. */
class FakeChecks implements GitHubClient {
  readonly requests: string[] = [];
  readonly runs: Record<string, unknown>[] = [];
  failPosts = 0;

  request = async (route: string, parameters: Record<string, unknown> = {}): Promise<GitHubResponse> => {
    this.requests.push(route);
    if (route.startsWith("POST")) {
      if (this.failPosts > 0) {
        this.failPosts -= 1;
        throw Object.assign(new Error("Bad Gateway"), { status: 502, response: { status: 502, headers: {} } });
      }
      const { owner: _o, repo: _r, ...run } = parameters;
      this.runs.push({ ...run, id: this.runs.length + 1, app: { id: 1, slug: "compliance-gate" } });
      return { status: 201, headers: {}, data: { id: this.runs.length, app: { id: 1 } } };
    }
    const latest = new Map<string, Record<string, unknown>>();
    for (const run of this.runs) latest.set(run["name"] as string, run);
    // GitHub lists output with its summary, a completed run with its conclusion, an in-progress one with none.
    const listed = [...latest.values()].map((run) => ({ conclusion: null, ...run }));
    return { status: 200, headers: {}, data: { total_count: listed.length, check_runs: listed } };
  };
}

const waiting = (title = "Waiting for 1 approval from @alice"): PlannedCheck => ({ name: "compliance/production", verdict: "in_progress", output: { title, summary: "s" } });
const failing: PlannedCheck = { name: "compliance/production", verdict: "failure", output: { title: "Blocked", summary: "s" } };
const passing: PlannedCheck = { name: "compliance/staging", verdict: "success", output: { title: "Not affected", summary: "s" } };

function sink(options: { store?: CheckStore; recall?: boolean; github?: FakeChecks } = {}) {
  const github = options.github ?? new FakeChecks();
  const memory = new CheckMemory({ clock: () => NOW, appId: 1, store: options.store ?? new MemoryCheckStore(), recall: options.recall ?? false });
  return { github, memory, checks: () => new GitHubCheckRuns(memory, new GitHubSession(github), "acme", "gitops") };
}

const target = { sha: SHA, externalId: "pull:42" };

test("every verdict unchanged is skipped — a wait and a failure too, not only a success; any change is written", async () => {
  const { github, checks } = sink();
  for (const check of [waiting(), passing]) expect(await checks().post(target, check)).toBe("posted");
  expect(await checks().post(target, waiting())).toBe("unchanged");
  expect(await checks().post(target, passing)).toBe("unchanged");
  expect(await checks().post(target, waiting("Waiting for 1 approval from @bob"))).toBe("posted");
  expect(await checks().post(target, failing)).toBe("posted");
  expect(await checks().post(target, failing)).toBe("unchanged");
  // The external id is part of what a check shows: a re-run finds its PR by it.
  expect(await checks().post({ ...target, externalId: "pull:43" }, failing)).toBe("posted");
  // `completed_at` is not: it changes with every evaluation and shows nothing a reviewer acts on.
  expect(github.requests.filter((r) => r.startsWith("POST"))).toHaveLength(5);
});

test("a re-run (force) writes even what did not change", async () => {
  const { github, checks } = sink();
  await checks().post(target, waiting());
  expect(await checks().post(target, waiting(), { force: true })).toBe("posted");
  expect(github.runs).toHaveLength(2);
});

test("a write that fails leaves the check unknown: the same result is written next time, never believed shown", async () => {
  const { github, checks } = sink();
  await checks().post(target, waiting());
  github.failPosts = 1;
  await expect(checks().post(target, failing)).rejects.toMatchObject({ status: 502 });
  // GitHub may or may not show the failure now; the store does not claim the wait still shows.
  expect(await checks().post(target, waiting())).toBe("posted");
});

test("a store that cannot forget refuses the write (GitHubError): a write it would misremember could hide a newer result later", async () => {
  const store = new MemoryCheckStore();
  const { github, checks } = sink({ store });
  await checks().post(target, passing);
  store.forget = () => Promise.reject(new Error("Connection is closed."));
  await expect(checks().post(target, { ...passing, verdict: "failure" })).rejects.toThrow("cannot record what compliance/staging shows (Connection is closed.): not written");
  expect(github.runs).toHaveLength(1);
});

test("a store that cannot answer knows nothing: the check is written", async () => {
  const store = new MemoryCheckStore();
  const { github, checks } = sink({ store });
  await checks().post(target, passing);
  store.get = () => Promise.reject(new Error("Command timed out"));
  expect(await checks().post(target, passing)).toBe("posted");
  expect(github.runs).toHaveLength(2);
});

describe("the store does not know (a restart, an expired entry): one read of the commit's check runs", () => {
  test("what GitHub shows is read once for the commit, and what did not change is not written", async () => {
    const github = new FakeChecks();
    // Written before a restart: GitHub shows them, the new process's store knows nothing.
    github.runs.push({ ...checkRunBody(target, waiting(), NOW), id: 1, app: { id: 1 } }, { ...checkRunBody(target, passing, NOW), id: 2, app: { id: 1 } });
    const { checks } = sink({ github, recall: true });
    const sinkOfOneEvaluation = checks();
    expect(await sinkOfOneEvaluation.post(target, waiting())).toBe("unchanged");
    expect(await sinkOfOneEvaluation.post(target, passing)).toBe("unchanged");
    expect(await sinkOfOneEvaluation.post(target, failing)).toBe("posted");
    expect(github.requests).toEqual(["GET /repos/{owner}/{repo}/commits/{ref}/check-runs", "POST /repos/{owner}/{repo}/check-runs"]);
    // The next evaluation finds it all in the store: no read.
    expect(await checks().post(target, failing)).toBe("unchanged");
    expect(github.requests).toHaveLength(2);
  });

  test("a commit just pushed (fresh) has no check runs to read: none is read", async () => {
    const { github, checks } = sink({ recall: true });
    await checks().post({ ...target, fresh: true }, waiting());
    expect(github.requests).toEqual(["POST /repos/{owner}/{repo}/check-runs"]);
  });

  test("a read that fails is no reason not to write: the check is written", async () => {
    const github = new FakeChecks();
    const original = github.request;
    github.request = (route, parameters) => (route.startsWith("GET") ? Promise.reject(Object.assign(new Error("Bad Gateway"), { status: 502, response: { headers: {} } })) : original(route, parameters));
    const { checks } = sink({ github, recall: true });
    expect(await checks().post(target, waiting())).toBe("posted");
  });
});
