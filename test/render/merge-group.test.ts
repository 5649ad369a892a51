// What a merge group's checks show (SPEC §3.1): every part with its own verdict, each failing one named.
import { groupOutput, onePartOutput, unownedLabel, unownedOutput } from "../../src/render/merge-group.js";

const pass = { label: "#12", passes: true, output: { title: "Approved", summary: "**Approved** — every rule has its approvals." } };
const fail = { label: "#13", passes: false, output: { title: "Waiting for 1 approval from @acme/sre", summary: "**Pending** — 1 of 1 rule still needs approvals." } };

test("a group of several parts: each part's verdict, and the summary of each that does not pass", () => {
  expect(groupOutput("compliance/production", "environment", 2, [pass, fail])).toMatchSnapshot();
});

test("every part passes", () => {
  const output = groupOutput("compliance/policy", "policy", 2, [pass, { ...pass, label: "#14" }]);
  expect(output.title).toBe("Every part of the merge group passes: #12 and #14");
  expect(output.summary.startsWith("**Passed** — this merge group holds 2 parts, and each passes `compliance/policy` on its own.")).toBe(true);
});

test("a group of one part shows its own check, saying plainly when it does not pass", () => {
  expect(onePartOutput("environment", pass)).toEqual(pass.output);
  expect(onePartOutput("environment", fail).title).toBe("#13 not approved: Waiting for 1 approval from @acme/sre");
  expect(onePartOutput("policy", fail).title).toBe("#13 fails: Waiting for 1 approval from @acme/sre");
});

test("commits that belong to no pull request: named, and why they are judged without reviews", () => {
  const commits = Array.from({ length: 7 }, (_, i) => `${i}`.repeat(40));
  expect(unownedLabel(commits[6] as string)).toBe("6666666 (no pull request)");
  expect(unownedOutput(commits, fail.output).summary).toBe(
    "Commits 0000000, 1111111, 2222222, 3333333 and 4444444 and 2 more of this merge group belong to no pull request " +
      "(no merge_group event or provable merge queue entry names them), so they are judged as a direct push: without reviews.\n\n" +
      fail.output.summary,
  );
});
