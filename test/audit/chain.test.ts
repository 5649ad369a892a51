// The approval chain (SPEC §8), pure: which commit is a link, which breaks the chain and why, where
// the walk stops, and the verdicts of a deployment (freeze now, break glass) and of an applied revision.
import { createPrivateKey, createPublicKey } from "node:crypto";
import { assessStep, judgeApplied, judgeChain, judgeDeployment, type ChainStep } from "../../src/audit/chain.js";
import { sealRecord } from "../../src/audit/seal.js";
import { signingKeys } from "../app/audit-fake.js";

const FILE = "policies/production.yml";
const SUBJECT = { environment: "production", branch: "main" };
const sha = (c: string): string => c.repeat(40);

type Json = Record<string, unknown>;

/** A sealed merge (or push) record listing `production` in `state`, judged by policies that include production's file. */
function record(kind: "merge" | "push", state: string | null, options: { breakGlass?: boolean; files?: Json } = {}): Json {
  const body = {
    version: 1,
    kind,
    repository: "acme/gitops",
    pull_request: kind === "merge" ? 43 : null,
    policy: { commit: sha("0"), files: options.files ?? { [FILE]: sha("b") } },
    environments: state === null ? [] : [{ environment: "production", state, break_glass: options.breakGlass ?? false }],
    compliant: state === null || state === "approved",
  };
  const sealed = sealRecord(body as never);
  if (!sealed.ok) throw new Error(sealed.message);
  return sealed.record as unknown as Json;
}

function verdict(kind: "deployment" | "applied", at: string, compliant = true, environment = "production", branch = "main"): Json {
  const sealed = sealRecord({ version: 1, kind, repository: "acme/gitops", environment, branch, sha: at, compliant } as never);
  if (!sealed.ok) throw new Error(sealed.message);
  return sealed.record as unknown as Json;
}

const merge = (c: string, records: Json[], extra: Partial<ChainStep> = {}): ChainStep => ({ sha: sha(c), pull: { number: 43, title: "Bump api" }, records, verdicts: [], ...extra });
const push = (c: string, records: Json[], extra: Partial<ChainStep> = {}): ChainStep => ({ sha: sha(c), pull: null, records, verdicts: [], ...extra });

describe("each commit of the walk", () => {
  test.each<[string, ChainStep, string, string | null]>([
    ["a merge approved for production", merge("a", [record("merge", "approved")]), "approved", null],
    ["a merge approved through break glass", merge("a", [record("merge", "approved", { breakGlass: true })]), "break_glass", null],
    ["a merge without approval of production", merge("a", [record("merge", "pending")]), "violation", "aaaaaaa contains #43, merged without approval of production (pending)"],
    ["a merge while production's policy was broken", merge("a", [record("merge", "error")]), "violation", "aaaaaaa contains #43, merged while the policy of production could not be evaluated"],
    ["a direct push nobody approved", push("a", [record("push", "blocked")]), "violation", "aaaaaaa was pushed directly without approval of production (blocked)"],
    ["a direct push whose rules need no approval", push("a", [record("push", "approved")]), "approved", null],
    ["a merge that touched other environments only", merge("a", [record("merge", null)], { touched: false }), "untouched", null],
    ["the merge that brought production's policy in", merge("a", [record("merge", null, { files: {} })], { touched: "ungoverned" }), "origin", null],
    [
      "a merge whose record does not list production, though the policies at its parent say it changed it",
      merge("a", [record("merge", null)], { touched: true }),
      "missing",
      "aaaaaaa contains #43, whose audit record does not list production, though by the policies at its parent it changed production",
    ],
    [
      "a merge whose record cites production's policy file but does not list it, its files unknown",
      merge("a", [record("merge", null)]),
      "missing",
      "aaaaaaa contains #43, whose audit record does not list production (cannot tell whether it changed production)",
    ],
    ["a merge without a record that touched production", merge("a", [], { touched: true }), "missing", "aaaaaaa contains #43, which has no audit record"],
    ["a direct push without a record that touched production", push("a", [], { touched: true }), "missing", "aaaaaaa was pushed directly and has no audit record"],
    ["a commit without a record whose files are unknown", push("a", []), "missing", "aaaaaaa was pushed directly and has no audit record (cannot tell whether it changed production)"],
    ["a commit without a record that changed nothing of production", push("a", [], { touched: false }), "untouched", null],
    ["a commit from before production had a policy", push("a", [], { touched: "ungoverned" }), "origin", null],
    [
      "a commit without a record whose parent's policy of production does not apply to the branch",
      push("a", [], { touched: "not_applied" }),
      "missing",
      "aaaaaaa was pushed directly and has no audit record (the policy of production at its parent does not apply to main: nothing judged it there)",
    ],
    ["an approved deployment of production on the commit", push("a", [], { verdicts: [verdict("deployment", sha("a"))] }), "baseline", null],
    ["a compliant applied revision of production on the commit", push("a", [], { verdicts: [verdict("applied", sha("a"))], touched: true }), "baseline", null],
  ])("%s", (_title, step, status, reason) => {
    const link = assessStep(step, SUBJECT);
    expect(link.status).toBe(status);
    expect(link.reason).toBe(reason);
  });

  test("a rejected deployment, another environment's approval, another branch's or another commit's verdict is no baseline", () => {
    const verdicts = [verdict("deployment", sha("a"), false), verdict("deployment", sha("a"), true, "staging"), verdict("deployment", sha("a"), true, "production", "x"), verdict("deployment", sha("b"))];
    expect(assessStep(push("a", [], { verdicts, touched: true }), SUBJECT).status).toBe("missing");
  });

  test("a tampered record does not count: the chain breaks on it", () => {
    const tampered = { ...record("merge", "pending"), environments: [{ environment: "production", state: "approved", break_glass: false }] };
    const link = assessStep(merge("a", [tampered]), SUBJECT);
    expect(link.status).toBe("unverified");
    expect(link.reason).toBe("aaaaaaa contains #43, whose audit record does not verify (digest mismatch)");
  });

  test("given the app's public key, a record signed by another key does not verify, nor does an unsigned one", () => {
    const publicKey = createPublicKey(createPrivateKey(signingKeys().privateKey));
    const other = signingKeys().privateKey;
    const forged = sealRecord({ ...record("merge", "approved"), digest: undefined } as never, other);
    if (!forged.ok) throw new Error(forged.message);
    const link = assessStep(merge("a", [forged.record as unknown as Json]), { ...SUBJECT, publicKey });
    expect(link.status).toBe("unverified");
    expect(link.reason).toBe("aaaaaaa contains #43, whose audit record does not verify (signature does not verify)");
    const unsigned = assessStep(merge("a", [record("merge", "approved")]), { ...SUBJECT, publicKey });
    expect(unsigned).toMatchObject({ status: "unverified", reason: "aaaaaaa contains #43, whose audit record does not verify (not signed)" });
    const pair = signingKeys();
    const signed = sealRecord({ ...record("merge", "approved"), digest: undefined } as never, pair.privateKey);
    if (!signed.ok) throw new Error(signed.message);
    expect(assessStep(merge("a", [signed.record as unknown as Json]), { ...SUBJECT, publicKey: createPublicKey(pair.publicKey) }).status).toBe("approved");
  });

  test("of two records of one merge, the strictest decides", () => {
    expect(assessStep(merge("a", [record("merge", "approved"), record("merge", "blocked")]), SUBJECT).status).toBe("violation");
  });
});

describe("the chain", () => {
  test("a walk to the first commit with every link approved is complete; untouched commits are left out", () => {
    const chain = judgeChain([assessStep(merge("a", [record("merge", "approved")]), SUBJECT), assessStep(push("b", [], { touched: false }), SUBJECT)], true, "production");
    expect(chain).toMatchObject({ end: "root", complete: true, problems: [], baseline: null });
    expect(chain.links.map((l) => l.sha)).toEqual([sha("a")]);
  });

  test("a walk that stops at an approved deployment ends there", () => {
    const steps = [merge("a", [record("merge", "approved")]), push("b", [], { verdicts: [verdict("deployment", sha("b"))] })];
    expect(judgeChain(steps.map((s) => assessStep(s, SUBJECT)), false, "production")).toMatchObject({ end: "baseline", baseline: sha("b"), complete: true });
  });

  test("a walk cut at the bound fails closed, saying so after the breaks", () => {
    const chain = judgeChain([assessStep(push("a", [], { touched: true }), SUBJECT), assessStep(push("b", [], { touched: false }), SUBJECT)], false, "production");
    expect(chain.end).toBe("bound");
    expect(chain.complete).toBe(false);
    expect(chain.problems).toEqual([
      "aaaaaaa was pushed directly and has no audit record",
      "more than 2 commits reach back before any approved deployment of production: the chain cannot be verified",
    ]);
  });
});

describe("the verdicts", () => {
  const approvedChain = judgeChain([assessStep(merge("a", [record("merge", "approved")]), SUBJECT)], true, "production");
  const glassChain = judgeChain([assessStep(merge("a", [record("merge", "approved", { breakGlass: true })]), SUBJECT)], true, "production");
  const brokenChain = judgeChain([assessStep(merge("a", [record("merge", "approved")]), SUBJECT), assessStep(push("b", [record("push", "blocked")]), SUBJECT)], true, "production");
  const base = { environment: "production", sha: sha("a"), branch: "main", branches: ["main"] };

  test.each<[string, Parameters<typeof judgeDeployment>[0], string, string[]]>([
    ["an approved chain outside a freeze", { ...base, chain: approvedChain, freeze: null }, "approved", []],
    ["an approved chain during a freeze", { ...base, chain: approvedChain, freeze: "weekends" }, "rejected", ["production is frozen now (weekends), and aaaaaaa did not break glass"]],
    ["a change that broke glass, during a freeze", { ...base, chain: glassChain, freeze: "weekends" }, "approved", []],
    ["a direct push in the chain", { ...base, chain: brokenChain, freeze: null }, "rejected", ["bbbbbbb was pushed directly without approval of production (blocked)"]],
    ["a commit on no gated branch", { ...base, branch: null, chain: approvedChain, freeze: null }, "rejected", ["aaaaaaa is not on a branch production deploys from (main)"]],
  ])("a deployment: %s", (_title, input, state, reasons) => {
    const answer = judgeDeployment(input);
    expect(answer.state).toBe(state);
    expect(answer.reasons).toEqual(reasons);
  });

  test("break glass only counts for the commit's own change, not an older one", () => {
    const older = judgeChain([assessStep(push("c", [record("push", "approved")]), SUBJECT), assessStep(merge("a", [record("merge", "approved", { breakGlass: true })]), SUBJECT)], true, "production");
    expect(judgeDeployment({ ...base, sha: sha("c"), chain: older, freeze: "weekends" }).state).toBe("rejected");
  });

  test("an applied revision: compliant with a whole chain on a gated branch, a violation otherwise", () => {
    expect(judgeApplied({ ...base, chain: approvedChain })).toEqual({ compliant: true, reasons: [] });
    expect(judgeApplied({ ...base, chain: brokenChain }).compliant).toBe(false);
  });
});

describe("a verdict as an export row", () => {
  test("its CSV names the environment and the outcome; its label is the record's own, so audit verify matches them", async () => {
    const { buildExportRow, rowLabel } = await import("../../src/audit/export-row.js");
    const { csvCells, CSV_COLUMNS } = await import("../../src/render/export-csv.js");
    const { recordLabel } = await import("../../src/audit/record.js");
    const sealed = sealRecord({ version: 1, kind: "deployment", repository: "acme/gitops", pull_request: null, environment: "production", sha: sha("a"), state: "rejected", compliant: false, policy: { commit: sha("0"), files: {} } } as never);
    if (!sealed.ok) throw new Error(sealed.message);
    const change = { repository: "acme/gitops", kind: "deployment" as const, pull_request: null, title: "deployment to production: rejected", merged_at: "2026-11-25T10:00:00Z", merged_by: "carol", merge_commit_sha: sha("a"), url: null, environment: "production" };
    const row = buildExportRow(change, sealed.record as never);
    const cells = Object.fromEntries(CSV_COLUMNS.map((c, i) => [c, csvCells(row)[i]]));
    expect(cells).toMatchObject({ kind: "deployment", environments: "production=rejected", compliant: false, digest_ok: true, missing: false });
    expect(rowLabel(row as unknown as Json)).toBe(recordLabel(sealed.record));
    expect(recordLabel(sealed.record)).toBe("acme/gitops@aaaaaaa deployment to production");
  });
});

describe("a re-baseline", () => {
  test("ends the walk on its branch like an approved verdict, and is a row of the export", async () => {
    const sealed = sealRecord({ version: 1, kind: "rebaseline", repository: "acme/gitops", pull_request: null, environment: "production", branch: "main", sha: sha("a"), issue: 12, accepted_by: "alice", via: ["SRE: user"], accepted_at: "2026-11-26T09:00:00Z", chain: { end: "root", baseline: null, links: [] }, accepted_problems: [], policy: { commit: sha("0"), files: {} }, compliant: true, evaluated_at: "2026-11-26T09:00:01Z" } as never);
    if (!sealed.ok) throw new Error(sealed.message);
    const accepted = sealed.record as unknown as Json;
    expect(assessStep(push("a", [record("push", "blocked")], { verdicts: [accepted] }), SUBJECT).status).toBe("baseline");
    expect(assessStep(push("a", [record("push", "blocked")], { verdicts: [accepted] }), { ...SUBJECT, branch: "release/1" }).status).toBe("violation");
    const { verdictsOf } = await import("../../src/audit/population.js");
    const rows = verdictsOf({ records: [{ record: accepted, comment: "https://github.com/acme/gitops/runs/1" }], problems: [] }, "acme/gitops", sha("a"), { since: 0, until: Date.parse("2027-01-01") }, new Set());
    expect(rows.map((r) => r.change)).toEqual([expect.objectContaining({ kind: "rebaseline", title: "rebaseline of production: accepted", merged_by: "alice", environment: "production" })]);
  });
});
