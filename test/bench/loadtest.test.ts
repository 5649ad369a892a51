// The loadtest's own parts (npm run loadtest runs the app; these run without it): the burst is
// the issue's, its deliveries are GitHub's payload shapes, the oracle says what the policy says,
// and the stand-in serves two installations and keeps every check run written.
import { burst, expected, interleave, labelToggles, pullEvents, pullOf, repositoryState, shaOf, shows, PRODUCTION, POLICY_CHECK, EVENTS_PER_PULL } from "../../bench/loadtest-burst.js";
import { showing, startStandIn } from "../../bench/loadtest-github.js";
import { webhookSchemaErrors } from "../fakes/webhook-schema.js";

test("the burst: 100 PRs x 10 events, 1,000 deliveries, each PR's events in order and 100 deliveries apart", () => {
  const state = repositoryState("acme", "gitops");
  const events = interleave(burst(state, 4242, 100));
  expect(events).toHaveLength(1000);
  expect(EVENTS_PER_PULL).toBe(10);
  const positions = new Map<number, number[]>();
  events.forEach((e, i) => positions.set(e.number, [...(positions.get(e.number) ?? []), i]));
  expect(positions.size).toBe(100);
  for (const at of positions.values()) {
    expect(at).toHaveLength(10);
    expect(at.slice(1).every((p, i) => p - (at[i] as number) === 100)).toBe(true);
  }
});

test("every delivery is a GitHub payload of its event and action, about its PR's state at that moment", () => {
  const state = repositoryState("acme", "gitops");
  const kinds = new Map<string, number>();
  for (const event of interleave(burst(state, 4242, 4))) {
    const delivery = event.happen();
    const action = delivery.payload["action"] as string;
    const kind = `${delivery.name}.${action}`;
    kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
    // One of each kind against GitHub's schema (compiling it costs more than the rest of the test).
    if (kinds.get(kind) === 1) {
      const schema = `webhook-${delivery.name.replace(/_/g, "-")}-${action}`;
      expect({ kind, errors: webhookSchemaErrors(schema, delivery.payload) }).toEqual({ kind, errors: [] });
    }
    const pull = delivery.payload["pull_request"] as { number: number; head: { sha: string } };
    expect(pull.head.sha).toBe(pullOf(state, event.number).pull.head);
    expect(delivery.payload["installation"]).toEqual({ id: 4242, node_id: "inst-4242" });
  }
  expect(Object.fromEntries(kinds)).toEqual({
    "pull_request.opened": 4,
    "pull_request.labeled": 9,
    "pull_request.unlabeled": 4,
    "pull_request.synchronize": 5,
    "pull_request_review.submitted": 17,
    "pull_request_review.dismissed": 1,
  });
});

test("deliveries built ahead on a copy of the repository are those the events send as they happen (the loadtest sends them so)", () => {
  const live = repositoryState("acme", "gitops");
  const copy = repositoryState("acme", "gitops");
  const ahead = interleave(burst(copy, 4242, 8)).map((event) => (event.change(), JSON.stringify(event.delivery())));
  const updated = new Map<number, string[]>();
  interleave(burst(live, 4242, 8)).forEach((event, i) => {
    const delivery = event.happen();
    expect(JSON.stringify(delivery)).toBe(ahead[i]);
    const stamp = pullOf(live, event.number).pull.updatedAt as string;
    updated.set(event.number, [...(updated.get(event.number) ?? []), stamp]);
  });
  expect(JSON.stringify(copy.otherPulls)).toBe(JSON.stringify(live.otherPulls));
  // Every event moves its PR's updated_at (and with it the PR's ETag).
  for (const stamps of updated.values()) expect(stamps.every((s, i) => i === 0 || s > (stamps[i - 1] as string))).toBe(true);
});

test("the warm-up's label changes: GitHub payloads of an open PR, a label added then removed, each moving its updated_at past the PR's own events", () => {
  const state = repositoryState("globex", "gitops");
  for (const event of pullEvents(state, 4343, 2, 0).slice(0, 3)) event.happen(); // opened, labeled, alice approves
  const stamps: string[] = [];
  const toggles = labelToggles(state, 4343, 2, 4);
  toggles.forEach((event, i) => {
    const delivery = event.happen();
    expect([delivery.name, delivery.payload["action"]]).toEqual(["pull_request", i % 2 === 0 ? "labeled" : "unlabeled"]);
    if (i < 2) expect(webhookSchemaErrors(`webhook-pull-request-${i % 2 === 0 ? "labeled" : "unlabeled"}`, delivery.payload)).toEqual([]);
    const pull = delivery.payload["pull_request"] as { labels: { name: string }[]; updated_at: string };
    expect(pull.labels.map((l) => l.name)).toEqual(i % 2 === 0 ? ["deploy", "warm-up"] : ["deploy"]);
    stamps.push(pull.updated_at);
  });
  expect(stamps.every((s, i) => i === 0 || s > (stamps[i - 1] as string))).toBe(true);
  expect((stamps[0] as string) > "2026-11-30T08:02:03.000Z").toBe(true); // after the PR's own events
});

test("the oracle: each of the four endings shows what two SRE approvals of the head say", () => {
  const state = repositoryState("acme", "gitops");
  for (const event of interleave(burst(state, 4242, 4))) event.happen();
  const production = (n: number) => expected(pullOf(state, n), "acme").get(PRODUCTION);
  expect(production(1)).toEqual({ status: "completed", conclusion: "success", title: "Approved" });
  expect(production(2)).toEqual({ status: "in_progress", conclusion: undefined, title: "Waiting for 2 approvals from @acme/sre" });
  expect(production(3)).toEqual({ status: "in_progress", conclusion: undefined, title: "Waiting for 1 approval from @acme/sre" });
  expect(production(4)).toEqual({ status: "completed", conclusion: "failure", title: "Blocked: changes requested by @bob" });
  expect(expected(pullOf(state, 1), "acme").get(POLICY_CHECK)).toEqual({ status: "completed", conclusion: "success", title: "No policy changes" });
  expect(pullOf(state, 2).pull.head).toBe(shaOf(4242, 2, 3));
  expect(shows(undefined, { status: "completed", conclusion: "success", title: "Approved" })).toBe(false);
});

test("the stand-in serves two installations, each its own token and repositories, and keeps every check run written", async () => {
  const standIn = await startStandIn([
    { installation: 1, state: repositoryState("acme", "gitops") },
    { installation: 2, state: repositoryState("globex", "gitops") },
  ]);
  try {
    const api = (path: string, init: RequestInit = {}) => fetch(`${standIn.url}/api/v3${path}`, init).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, unknown> }));
    const token = (await api("/app/installations/2/access_tokens", { method: "POST" })).body["token"] as string;
    const listed = await api("/installation/repositories", { headers: { authorization: `token ${token}` } });
    expect((listed.body["repositories"] as { full_name: string }[]).map((r) => r.full_name)).toEqual(["globex/gitops"]);
    expect((await api("/repos/globex/gitops/installation")).body["id"]).toBe(2);

    const head = "a".repeat(40);
    const posted = await api("/repos/globex/gitops/check-runs", {
      method: "POST",
      body: JSON.stringify({ name: PRODUCTION, head_sha: head, status: "in_progress", output: { title: "Waiting", summary: "s1" } }),
    });
    expect(posted.status).toBe(201);
    await api(`/repos/globex/gitops/check-runs/${posted.body["id"] as number}`, { method: "PATCH", body: JSON.stringify({ conclusion: "success", output: { title: "Approved", summary: "s2" } }) });
    expect(showing(standIn, "globex/gitops", head).get(PRODUCTION)).toEqual({ status: "completed", conclusion: "success", title: "Approved" });
    expect(showing(standIn, "acme/gitops", head).size).toBe(0);
    expect(standIn.writes.map((w) => [w.repository, w.status, w.conclusion, w.title, w.summary])).toEqual([
      ["globex/gitops", "in_progress", undefined, "Waiting", "s1"],
      ["globex/gitops", "completed", "success", "Approved", "s2"],
    ]);
    expect((await api("/repos/acme/gitops/nothing")).status).toBe(404);
    expect(standIn.unexpected).toEqual(["GET /repos/acme/gitops/nothing"]);
  } finally {
    await standIn.close();
  }
});
