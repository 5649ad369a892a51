// What a whole policy folder may cost (issue 7 review): globs per list and per set counted with their
// duplicates, YAML nodes across the files, and brace counting across the globs — each past its bound a
// validation error naming the file and field, and what is past it is not read or checked.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { formatPolicyError } from "../../src/policy/errors.js";
import { MAX_GLOBS_PER_LIST, MAX_SET_BRACE_STEPS, MAX_SET_GLOBS } from "../../src/policy/glob-bounds.js";
import { loadPolicyDir, loadPolicySet, MAX_POLICY_SET_NODES } from "../../src/policy/load.js";
import { policyWarnings } from "../../src/engine/warnings.js";
import type { PolicySet } from "../../src/policy/types.js";

/** A policy file whose scope lists `globs` (a flow list, as written by the review's generator). */
const flowFile = (name: string, globs: readonly string[]) => ({
  path: `policies/${name}.yml`,
  text: `version: 1\nenvironment: ${name}\nscope:\n  paths: [${globs.join(",")}]\nrules:\n  - name: r\n    paths: ["**"]\n    approvals: 0\n`,
});

const errorsOf = (set: PolicySet): string[][] => set.invalid.map((i) => i.errors.map(formatPolicyError));
const n = (count: number): string => count.toLocaleString("en-US");

describe(`globs per list: at most ${n(MAX_GLOBS_PER_LIST)}, duplicates included`, () => {
  test(`${n(MAX_GLOBS_PER_LIST)} are allowed, one more is an error at the list`, () => {
    expect(loadPolicySet([flowFile("a", Array(MAX_GLOBS_PER_LIST).fill("x"))]).invalid).toEqual([]);
    expect(errorsOf(loadPolicySet([flowFile("a", Array(MAX_GLOBS_PER_LIST + 1).fill("x"))]))).toEqual([
      [`policies/a.yml:4:10: scope.paths: lists 1,001 globs; the limit is 1,000 per list (duplicates count)`],
    ]);
  });

  test("every glob list is counted: branches, exclude and each rule's", () => {
    const many = `[${Array(MAX_GLOBS_PER_LIST + 1).fill("x").join(",")}]`;
    const text = `version: 1\nscope:\n  branches: ${many}\n  paths: [a]\n  exclude: ${many}\nrules:\n  - name: r\n    paths: ${many}\n    exclude: ${many}\n    approvals: 0\n`;
    expect(errorsOf(loadPolicySet([{ path: "policies/p.yml", text }]))[0]?.map((e) => e.replace(/:\d+:\d+:/, ":")).sort()).toEqual(
      ["scope.branches", "scope.exclude", "rules[0].paths", "rules[0].exclude"].map((f) => `policies/p.yml: ${f}: lists 1,001 globs; the limit is 1,000 per list (duplicates count)`).sort(),
    );
  });
});

describe(`globs per set: at most ${n(MAX_SET_GLOBS)}, duplicates included`, () => {
  test("the file whose glob crosses the bound is refused there, and so is every later one; earlier files stay valid", () => {
    // files of 1,000 globs in scope and one (`**`) in their rule: nine hold 9,009
    const files = Array.from({ length: 12 }, (_, i) => flowFile(`e${i}`, Array(i === 11 ? 1 : 1000).fill("x")));
    const set = loadPolicySet(files);
    expect(set.policies.map((p) => p.environment)).toEqual(["e0", "e1", "e2", "e3", "e4", "e5", "e6", "e7", "e8"]);
    const crossing = `with this glob the policy files list more than 10,000 globs; the limit is 10,000 across all policy files (duplicates count)`;
    expect(errorsOf(set)).toEqual([
      [`policies/e9.yml:4:1993: scope.paths[991]: ${crossing}`], // 9 × 1,001 + 992 = 10,001
      [`policies/e10.yml:4:11: scope.paths[0]: ${crossing}`],
      [`policies/e11.yml:4:11: scope.paths[0]: ${crossing}`],
    ]);
  });
});

describe(`YAML nodes per set: at most ${n(MAX_POLICY_SET_NODES)}`, () => {
  /** A valid policy whose one user list holds `users` names (and 24 other nodes, all before them). */
  const usersFile = (name: string, users: number) => ({
    path: `policies/${name}.yml`,
    text: `version: 1\nenvironment: ${name}\nscope:\n  paths: ["**"]\nrules:\n  - name: r\n    paths: ["**"]\n    approvals: 1\n    approvers:\n      users: [${Array.from({ length: users }, (_, i) => `u${i}`).join(",")}]\n`,
  });

  test("the file that crosses is refused at the node that crosses, the files after it unread; the files before stay valid", () => {
    // 24,990 users and 24 other nodes a file: 3 × 25,014 + 24 + 24,935 = 100,001, at the fourth file's 24,935th user
    const set = loadPolicySet(["a", "b", "c", "d", "e"].map((name) => usersFile(name, 24_990)));
    expect(set.policies.map((p) => p.environment)).toEqual(["a", "b", "c"]);
    expect(errorsOf(set)).toEqual([
      ["policies/d.yml:10:163443: rules[0].approvers.users[24934]: with this node the policy files hold more than 100,000 YAML nodes; the limit is 100,000 across all policy files"],
      ["policies/e.yml: not read: the policy files before it hold 100,000 YAML nodes, the limit across all policy files"],
    ]);
  });

  test("the review's folder, 200 files of 5,000 duplicate globs (2 MiB), is refused whole: list by list, then unread", () => {
    const files = Array.from({ length: 200 }, (_, i) => flowFile(`e${i}`, Array(5000).fill("x")));
    const set = loadPolicySet(files);
    expect(set.policies).toEqual([]);
    const messages = errorsOf(set).map(([first]) => first?.replace(/^[^ ]+ /, ""));
    expect(messages.slice(0, 19)).toEqual(Array(19).fill("scope.paths: lists 5,000 globs; the limit is 1,000 per list (duplicates count)"));
    expect(messages[19]).toMatch(/^scope\.paths\[\d+\]: with this node the policy files hold more than 100,000 YAML nodes; the limit is 100,000 across all policy files$/);
    expect(new Set(messages.slice(20))).toEqual(new Set(["not read: the policy files before it hold 100,000 YAML nodes, the limit across all policy files"]));
    expect(policyWarnings(set, "policies")).toHaveLength(1); // ungoverned: nothing valid covers policies/**
  });

  test("loadPolicyDir spends the budget in name order, whatever order the files are read in", async () => {
    const dir = await mkdtemp(join(tmpdir(), "set-bounds-"));
    try {
      // written, and so read, in another order: d and e are the files past the bound all the same
      for (const name of ["e", "d", "c", "b", "a"]) await writeFile(join(dir, `${name}.yml`), usersFile(name, 24_990).text);
      const set = await loadPolicyDir(dir);
      expect(set.policies.map((p) => p.environment)).toEqual(["a", "b", "c"]);
      expect(set.invalid.map((i) => i.file)).toEqual([`${dir}/d.yml`, `${dir}/e.yml`]);
    } finally {
      await rm(dir, { recursive: true });
    }
  });
});

describe(`brace counting per set: at most ${n(MAX_SET_BRACE_STEPS)} steps`, () => {
  test("globs whose braces take the set past the steps are refused, each naming the glob", () => {
    // each glob spends its own whole budget (32 steps a character, plus 512): about 1,700 steps
    const intricate = (i: number) => JSON.stringify(`${i}{{0..3}{{{0..3}{0..3}{a,b}..}}{}{}}b`);
    const files = Array.from({ length: 4 }, (_, f) => flowFile(`e${f}`, Array.from({ length: 1000 }, (_, i) => intricate(f * 1000 + i))));
    const errors = errorsOf(loadPolicySet(files)).flat();
    expect(errors.filter((e) => e.includes("nests its braces too intricately")).length).toBeGreaterThan(2500);
    const past = errors.filter((e) => e.includes("counting the brace expansions"));
    expect(past.length).toBeGreaterThan(500);
    expect(past[0]).toMatch(
      /^policies\/e\d\.yml:4:\d+: scope\.paths\[\d+\]: with glob "\d+\{\{0\.\.3\}.*", counting the brace expansions of the policy files' globs takes more than 5,000,000 steps; the limit is 5,000,000 steps across all policy files: simplify their braces$/,
    );
  });

  test("ordinary brace globs take a few hundred steps each: a set of 10,000 is far from the bound", () => {
    const files = Array.from({ length: 10 }, (_, f) => flowFile(`e${f}`, Array.from({ length: 999 }, (_, i) => `"apps/{web,api}/overlays/prod-${f}-${i}/**"`)));
    expect(loadPolicySet(files).invalid).toEqual([]);
  });
});
