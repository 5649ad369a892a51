// What handlers read of deliveries: the repository, the queued PR of a merge group, whether a push touched policies.
import { branchOf, sourceOf } from "../../src/app/delivery.js";
import { queuedPullNumber } from "../../src/app/merge-group-events.js";
import { PUSH_COMMITS_LIMIT } from "../../src/app/audit-push.js";
import { pushTouchesPolicies } from "../../src/app/policy-push.js";
import { externalIdOf, parseExternalId } from "../../src/render/check-run.js";
import { example } from "./helpers.js";

test("sourceOf reads a real payload's repository, installation and server", () => {
  const payload = example("pull_request_review", "dismissed");
  expect(sourceOf(payload)).toEqual({
    owner: "Codertocat",
    repo: "Hello-World",
    installationId: 1,
    defaultBranch: "master",
    serverUrl: "https://github.com",
  });
  expect(sourceOf({})).toBeUndefined();
  expect(branchOf("refs/heads/release/1.x")).toBe("release/1.x");
  expect(branchOf("refs/tags/v1")).toBeUndefined();
});

test("queuedPullNumber reads GitHub's merge queue ref only", () => {
  const real = example("merge_group", "checks_requested")["merge_group"] as { head_ref: string };
  expect(queuedPullNumber(real.head_ref)).toBe(104);
  expect(queuedPullNumber("refs/heads/gh-readonly-queue/release/1.x/pr-7-0123abcd")).toBe(7);
  expect(queuedPullNumber("refs/heads/feature/pr-7-0123abcd")).toBeUndefined();
  expect(queuedPullNumber("refs/heads/other")).toBeUndefined();
});

test("pushTouchesPolicies: yes, no, or unknown when the payload cannot tell", () => {
  const push = { before: "a", after: "b", created: false, deleted: false, forced: false };
  expect(pushTouchesPolicies({ ...push, commits: [{ modified: ["README.md"] }, { removed: ["policies/old.yml"] }] })).toBe("yes");
  expect(pushTouchesPolicies({ ...push, commits: [{ added: ["policies-draft/x.yml"], modified: ["clusters/a.yaml"] }] })).toBe("no");
  expect(pushTouchesPolicies({ ...push, commits: [] })).toBe("unknown");
  expect(pushTouchesPolicies({ ...push, forced: true, commits: [{ modified: ["README.md"] }] })).toBe("unknown");
  expect(pushTouchesPolicies({ ...push, commits: Array.from({ length: PUSH_COMMITS_LIMIT }, () => ({ modified: ["README.md"] })) })).toBe("unknown");
});

test("external ids round-trip; anything else is not ours", () => {
  expect(parseExternalId(externalIdOf(42, false))).toEqual({ number: 42, mergeGroup: false });
  expect(parseExternalId(externalIdOf(42, true))).toEqual({ number: 42, mergeGroup: true });
  expect(parseExternalId("")).toBeUndefined();
  expect(parseExternalId(null)).toBeUndefined();
  expect(parseExternalId("pull:x")).toBeUndefined();
});
