// From policy text to the engine's Policy: defaults, times, the SPEC's example, and whole policy sets.
import { readFileSync } from "node:fs";
import { formatPolicyError } from "../../src/policy/errors.js";
import { isPolicyFile, loadPolicyDir, loadPolicySet, parsePolicyFile } from "../../src/policy/load.js";
import type { Policy } from "../../src/policy/types.js";

const SPEC_EXAMPLE = "test/fixtures/policy/spec/production.yml";
const FOLDER = "test/fixtures/policy/folder";

const MINIMAL = ["version: 1", "scope:", "  paths: [clusters/**]", "rules:", "  - name: SRE", "    paths: [clusters/**]", "    approvals: 0", ""].join(
  "\n",
);

test("the SPEC's production.yml loads to exactly this Policy", () => {
  const parsed = parsePolicyFile("policies/production.yml", readFileSync(SPEC_EXAMPLE, "utf8"));
  expect(parsed.errors).toEqual([]);
  expect(parsed.environment).toBe("production");
  expect(parsed.policy).toStrictEqual<Policy>({
    file: "policies/production.yml",
    environment: "production",
    description: "EU production cluster",
    scope: {
      branches: ["main"],
      paths: ["clusters/production/**", "apps/*/overlays/production/**"],
      exclude: ["**/*.md"],
    },
    rules: [
      {
        name: "SRE approves cluster changes",
        paths: ["clusters/production/**"],
        exclude: [],
        approvals: 2,
        approvers: { teams: ["sre"], users: ["alice"], permission: "maintain" },
      },
      {
        name: "Security approves secrets",
        paths: ["**/secrets/**", "**/*.sops.yaml"],
        exclude: [],
        approvals: 1,
        approvers: { teams: ["security"], users: [] },
      },
    ],
    options: {
      allow_author: false,
      allow_contributors: false,
      dismiss_stale: true,
      block_on_changes_requested: true,
      request_reviews: false,
      unlinked_commits: "warn",
    },
    freeze: [
      { kind: "one-off", name: "year-end freeze", from: Date.UTC(2026, 11, 20), until: Date.UTC(2027, 0, 4) },
      { kind: "recurring", name: "weekends", days: ["sat", "sun"], start: 0, end: 24 * 60, timezone: "Europe/Berlin" },
    ],
    break_glass: { label: "emergency", approvals: 1, approvers: { teams: ["incident-commanders"], users: [] } },
    audit: { comment: true, issue_on_exception: true, deployment: false },
    enforce: { required_check: false },
    deploy: { environments: ["production"] },
    verify: { statuses: ["kustomization/apps-production*"], deployments: ["production"] },
  });
});

test("every default is filled in", () => {
  const parsed = parsePolicyFile("policies/staging.yml", MINIMAL);
  expect(parsed.policy).toStrictEqual<Policy>({
    file: "policies/staging.yml",
    environment: "staging",
    scope: { paths: ["clusters/**"], exclude: [] },
    rules: [{ name: "SRE", paths: ["clusters/**"], exclude: [], approvals: 0, approvers: { teams: [], users: [] } }],
    options: {
      allow_author: false,
      allow_contributors: false,
      dismiss_stale: true,
      block_on_changes_requested: true,
      request_reviews: false,
      unlinked_commits: "warn",
    },
    freeze: [],
    audit: { comment: true, issue_on_exception: true, deployment: false },
    enforce: { required_check: false },
    deploy: { environments: ["staging"] },
    verify: { statuses: [], deployments: [] },
  });
});

test("options, audit and enforce given in part keep the defaults of the rest", () => {
  const text = `${MINIMAL}options: { allow_author: true }\naudit: { deployment: true }\nenforce: {}\n`;
  const policy = parsePolicyFile("policies/staging.yml", text).policy;
  expect(policy?.options).toEqual({
    allow_author: true,
    allow_contributors: false,
    dismiss_stale: true,
    block_on_changes_requested: true,
    request_reviews: false,
    unlinked_commits: "warn",
  });
  expect(policy?.audit).toEqual({ comment: true, issue_on_exception: true, deployment: true });
  expect(policy?.enforce).toEqual({ required_check: false });
});

describe("freeze windows become instants and minutes", () => {
  const windows = (...lines: string[]) => parsePolicyFile("policies/p.yml", `${MINIMAL}freeze:\n${lines.join("\n")}\n`).policy?.freeze;

  test("a recurring window defaults to the whole day in UTC", () => {
    expect(windows("  - name: weekends", "    days: [sat, sun]")).toEqual([
      { kind: "recurring", name: "weekends", days: ["sat", "sun"], start: 0, end: 1440, timezone: "UTC" },
    ]);
  });

  test("an overnight window keeps end < start: it runs into the next day", () => {
    expect(windows("  - name: friday night", "    days: [fri]", '    time: "22:00-06:30"', "    timezone: Europe/Berlin")).toEqual([
      { kind: "recurring", name: "friday night", days: ["fri"], start: 22 * 60, end: 6 * 60 + 30, timezone: "Europe/Berlin" },
    ]);
  });

  test("repeated days count once", () => {
    expect(windows("  - name: x", "    days: [sat, sat, sun]")?.[0]).toMatchObject({ days: ["sat", "sun"] });
  });

  test("one-off instants honour their offsets", () => {
    expect(windows("  - name: x", "    from: 2026-12-20T01:00:00+01:00", "    until: 2026-12-20T00:00:00.250-00:30")).toEqual([
      { kind: "one-off", name: "x", from: Date.UTC(2026, 11, 20), until: Date.UTC(2026, 11, 20, 0, 30, 0, 250) },
    ]);
  });
});

describe("the environment", () => {
  test("is the `environment` key", () => {
    expect(parsePolicyFile("policies/p.yml", `${MINIMAL}environment: eu-prod\n`).policy?.environment).toBe("eu-prod");
  });

  test("defaults to the file name without extension", () => {
    expect(parsePolicyFile("policies/eu.prod.yaml", MINIMAL).policy?.environment).toBe("eu.prod");
  });
});

describe("a policy set", () => {
  test("every file naming an environment another file names is invalid, and says which", () => {
    const set = loadPolicySet([
      { path: "policies/a.yml", text: `${MINIMAL}environment: prod\n` },
      { path: "policies/prod.yml", text: MINIMAL },
      { path: "policies/c.yml", text: `${MINIMAL}environment: staging\n` },
      { path: "policies/d.yml", text: `${MINIMAL.replace("approvals: 0", "approvals: 99")}environment: prod\n` },
    ]);
    expect(set.policies.map((p) => p.file)).toEqual(["policies/c.yml"]);
    expect(set.invalid.map((i) => [i.file, i.environment])).toEqual([
      ["policies/a.yml", "prod"],
      ["policies/prod.yml", "prod"],
      ["policies/d.yml", "prod"],
    ]);
    expect(set.invalid.flatMap((i) => i.errors.map(formatPolicyError))).toEqual([
      "policies/a.yml:8:14: environment: environment `prod` is also named by policies/prod.yml, policies/d.yml",
      "policies/prod.yml: environment: environment `prod` is also named by policies/a.yml, policies/d.yml",
      "policies/d.yml:5:5: rules[0].approvers: is required when approvals is above 0",
      "policies/d.yml:7:16: rules[0].approvals: must be an integer from 0 to 20",
      "policies/d.yml:8:14: environment: environment `prod` is also named by policies/a.yml, policies/prod.yml",
    ]);
  });

  test("keeps the files' order, valid and invalid apart", () => {
    const set = loadPolicySet([
      { path: "policies/b.yml", text: MINIMAL },
      { path: "policies/a.yml", text: "version: 1\n" },
      { path: "policies/c.yml", text: MINIMAL },
    ]);
    expect(set.policies.map((p) => p.environment)).toEqual(["b", "c"]);
    expect(set.invalid.map((i) => i.environment)).toEqual(["a"]);
  });
});

describe("isPolicyFile", () => {
  test.each<[string, string | undefined, boolean]>([
    ["policies/production.yml", undefined, true],
    ["policies/production.yaml", undefined, true],
    ["policies/tests/production.yml", undefined, false],
    ["policies/README.md", undefined, false],
    ["policies/production.yml.bak", undefined, false],
    ["other/production.yml", undefined, false],
    ["policiesx/production.yml", undefined, false],
    ["production.yml", undefined, false],
    ["gitops/policies/production.yml", "gitops/policies", true],
    ["gitops/policies/production.yml", "gitops/policies/", true],
    ["production.yml", ".", true],
    ["policies/production.yml", ".", false],
  ])("%s in %s → %s", (path, dir, expected) => {
    expect(isPolicyFile(path, dir)).toBe(expected);
  });
});

describe("loadPolicyDir", () => {
  test("reads *.yml and *.yaml directly in the folder, sorted by name, paths as <dir>/<name>", async () => {
    const set = await loadPolicyDir(FOLDER);
    expect(set.policies.map((p) => [p.file, p.environment])).toEqual([
      [`${FOLDER}/eu-prod.yml`, "eu-prod"],
      [`${FOLDER}/staging.yaml`, "staging"],
    ]);
    expect(set.invalid.map((i) => i.errors.map(formatPolicyError))).toEqual([
      [`${FOLDER}/broken.yml:7:16: rules[0].approvals: must be an integer from 0 to 20`],
    ]);
    expect(await loadPolicyDir(`${FOLDER}/`)).toEqual(set);
  });

  test("a folder that cannot be read is an error, not an exception", async () => {
    const set = await loadPolicyDir("test/fixtures/policy/no-such-folder");
    expect(set.policies).toEqual([]);
    expect(set.invalid.map((i) => i.errors.map(formatPolicyError))).toEqual([
      ["test/fixtures/policy/no-such-folder: cannot read the policy folder: ENOENT"],
    ]);
  });

  test("the repository's example policies are valid", async () => {
    const set = await loadPolicyDir("policies");
    expect(set.invalid).toEqual([]);
    expect(set.policies.length).toBeGreaterThan(0);
  });
});
