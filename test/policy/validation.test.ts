// Every rule of SPEC §1.1: the exact message, field and line:column of each error.
import { formatPolicyError } from "../../src/policy/errors.js";
import { parsePolicyFile } from "../../src/policy/load.js";

const FILE = "policies/production.yml";

/** The formatted errors of a policy file given as lines. */
function errorsOf(lines: string[], file = FILE): string[] {
  return parsePolicyFile(file, `${lines.join("\n")}\n`).errors.map(formatPolicyError);
}

/** A valid policy; `extra` lines are appended from line 9 on. */
function withBase(extra: string[] = [], replace: Record<number, string> = {}): string[] {
  const base = [
    "version: 1", // 1
    "scope:", // 2
    "  paths: [clusters/**]", // 3
    "rules:", // 4
    "  - name: SRE", // 5
    "    paths: [clusters/**]", // 6
    "    approvals: 1", // 7
    "    approvers: { teams: [sre] }", // 8
  ];
  for (const [line, text] of Object.entries(replace)) base[Number(line) - 1] = text;
  return [...base, ...extra];
}

test("the base policy is valid", () => {
  expect(errorsOf(withBase())).toEqual([]);
});

describe("not YAML, or not a mapping at the top", () => {
  test.each<[string, string[], string[]]>([
    ["a YAML syntax error", ["version: 1", "scope: [a, b", "rules: []"], [`${FILE}:3:1: invalid YAML: deficient indentation`]],
    ["a tab used for indentation", ["version: 1", "scope:", "\tpaths: [a]"], [`${FILE}:3:1: invalid YAML: tab characters must not be used in indentation`]],
    ["a duplicate key", ["version: 1", "version: 1"], [`${FILE}:2:1: version: duplicate key \`version\``]],
    ["a list at the top", ["- version: 1"], [`${FILE}:1:1: the top level must be a mapping of policy keys (\`version\`, \`scope\`, \`rules\`, …)`]],
    ["a string at the top", ["production"], [`${FILE}:1:1: the top level must be a mapping of policy keys (\`version\`, \`scope\`, \`rules\`, …)`]],
    ["an empty file", [""], [`${FILE}: file is empty: expected one YAML document`]],
    ["only comments", ["# nothing here yet"], [`${FILE}: file is empty: expected one YAML document`]],
    ["two documents", ["version: 1", "---", "version: 1"], [`${FILE}:3:1: file holds more than one YAML document; expected exactly one`]],
  ])("%s", (_title, lines, expected) => {
    expect(errorsOf(lines)).toEqual(expected);
  });
});

describe("unknown keys are errors everywhere, with a suggestion when one is close", () => {
  test.each<[string, string[], string[]]>([
    [
      "a typo in a rule",
      withBase([], { 7: "    aprovals: 1" }),
      [`${FILE}:5:5: rules[0].approvals: is required`, `${FILE}:7:5: rules[0].aprovals: unknown key; did you mean \`approvals\`?`],
    ],
    [
      "a typo at the top",
      withBase([], { 1: "versoin: 1" }),
      [`${FILE}:1:1: version: is required`, `${FILE}:1:1: versoin: unknown key; did you mean \`version\`?`],
    ],
    [
      "a typo in approvers",
      withBase([], { 8: "    approvers: { team: [sre] }" }),
      [`${FILE}:8:18: rules[0].approvers.team: unknown key; did you mean \`teams\`?`],
    ],
    [
      "a typo in options",
      withBase(["options:", "  dismis_stale: false"]),
      [`${FILE}:10:3: options.dismis_stale: unknown key; did you mean \`dismiss_stale\`?`],
    ],
    [
      "a typo in a freeze window",
      withBase(["freeze:", "  - name: weekends", "    days: [sat]", "    timzone: UTC"]),
      [`${FILE}:12:5: freeze[0].timzone: unknown key; did you mean \`timezone\`?`],
    ],
    [
      "a typo in a freeze window's form",
      withBase(["freeze:", "  - name: weekends", "    dayz: [sat]"]),
      [`${FILE}:11:5: freeze[0].dayz: unknown key; did you mean \`days\`?`],
    ],
    [
      "a key far from any known one",
      withBase(["colour: red"]),
      [
        `${FILE}:9:1: colour: unknown key; expected one of version, environment, description, scope, rules, options, freeze, break_glass, audit, enforce, deploy, verify`,
      ],
    ],
    [
      "a merge key (no `<<` merges in policy files)",
      withBase(["options: &o { dismiss_stale: false }", "audit:", "  <<: *o"]),
      [`${FILE}:11:3: audit.<<: unknown key; expected one of comment, issue_on_exception, deployment`],
    ],
  ])("%s", (_title, lines, expected) => {
    expect(errorsOf(lines)).toEqual(expected);
  });
});

describe("required keys, types and ranges", () => {
  test.each<[string, string[], string[]]>([
    ["version missing", withBase().slice(1), [`${FILE}:1:1: version: is required`]],
    ["version 2", withBase([], { 1: "version: 2" }), [`${FILE}:1:10: version: must be 1`]],
    ["scope.paths missing", withBase([], { 3: "  branches: [main]" }), [`${FILE}:2:1: scope.paths: is required`]],
    ["scope.paths empty", withBase([], { 3: "  paths: []" }), [`${FILE}:3:10: scope.paths: must list at least one glob`]],
    ["scope.paths a string", withBase([], { 3: "  paths: clusters/**" }), [`${FILE}:3:10: scope.paths: must be a list of globs`]],
    ["rules empty", [...withBase().slice(0, 3), "rules: []"], [`${FILE}:4:8: rules: must list at least one rule`]],
    ["rules missing", withBase().slice(0, 3), [`${FILE}:1:1: rules: is required`]],
    ["approvals above 20", withBase([], { 7: "    approvals: 21" }), [`${FILE}:7:16: rules[0].approvals: must be an integer from 0 to 20`]],
    ["approvals negative", withBase([], { 7: "    approvals: -1" }), [`${FILE}:7:16: rules[0].approvals: must be an integer from 0 to 20`]],
    ["approvals a fraction", withBase([], { 7: "    approvals: 1.5" }), [`${FILE}:7:16: rules[0].approvals: must be an integer from 0 to 20`]],
    ["approvals a string", withBase([], { 7: '    approvals: "2"' }), [`${FILE}:7:16: rules[0].approvals: must be an integer from 0 to 20`]],
    ["approvals empty", withBase([], { 7: "    approvals:" }), [`${FILE}:7:5: rules[0].approvals: must be an integer from 0 to 20`]],
    ["a rule without a name", withBase([], { 5: "  - paths: [clusters/**]", 6: "    exclude: []" }), [`${FILE}:5:5: rules[0].name: is required`]],
    ["an empty rule name", withBase([], { 5: '  - name: ""' }), [`${FILE}:5:11: rules[0].name: must be a non-empty string`]],
    ["a YAML 1.1 boolean", withBase(["options:", "  dismiss_stale: yes"]), [`${FILE}:10:18: options.dismiss_stale: must be true or false`]],
    ["a bad permission", withBase([], { 8: "    approvers: { permission: read }" }), [`${FILE}:8:30: rules[0].approvers.permission: must be one of write, maintain, admin`]],
    ["a team written as a mention", withBase([], { 8: '    approvers: { teams: ["@acme/sre"] }' }), [`${FILE}:8:26: rules[0].approvers.teams[0]: must be a team slug such as \`sre\` or \`acme/sre\` (without \`@\`)`]],
    ["a user written as a mention", withBase([], { 8: '    approvers: { users: ["@alice"] }' }), [`${FILE}:8:26: rules[0].approvers.users[0]: must be a GitHub login such as \`alice\` (without \`@\`)`]],
    ["branches empty", withBase([], { 3: "  paths: [clusters/**]\n  branches: []" }), [`${FILE}:4:13: scope.branches: must list at least one branch glob (leave \`branches\` out to mean the default branch)`]],
    ["break_glass without a label", withBase(["break_glass:", "  approvals: 0"]), [`${FILE}:9:1: break_glass.label: is required`]],
  ])("%s", (_title, lines, expected) => {
    expect(errorsOf(lines)).toEqual(expected);
  });
});

describe("environment names", () => {
  test("must match ^[a-z0-9][a-z0-9._-]{0,62}$", () => {
    expect(errorsOf(withBase(["environment: Production"]))).toEqual([
      `${FILE}:9:14: environment: must be 1 to 63 lower-case letters, digits, \`.\`, \`_\` or \`-\`, starting with a letter or digit`,
    ]);
    expect(errorsOf(withBase([`environment: ${"a".repeat(64)}`]))).toHaveLength(1);
    expect(errorsOf(withBase([`environment: ${"a".repeat(63)}`]))).toEqual([]);
    expect(errorsOf(withBase(["environment: eu-prod_2.blue"]))).toEqual([]);
  });

  test("`policy` is reserved: compliance/policy is the check that validates policy files", () => {
    expect(errorsOf(withBase(["environment: policy"]))).toEqual([
      `${FILE}:9:14: environment: \`policy\` is reserved: its check would be \`compliance/policy\`, the check that validates policy files; name the environment differently`,
    ]);
    expect(errorsOf(withBase(["environment: policy-admin"]))).toEqual([]);
  });

  test("a file named policy.yml without `environment` would name the reserved environment", () => {
    expect(errorsOf(withBase(), "policies/policy.yml")).toEqual([
      "policies/policy.yml:1:1: environment: is required: without it the file name makes the environment `policy`, which is reserved: its check would be `compliance/policy`, the check that validates policy files; name the environment differently (or rename the file)",
    ]);
    expect(errorsOf(withBase(["environment: governance"]), "policies/policy.yml")).toEqual([]);
  });

  test("a file without `environment` needs a file name that is a valid environment", () => {
    expect(errorsOf(withBase(), "policies/EU Prod.yml")).toEqual([
      "policies/EU Prod.yml: environment: is required: the file name `EU Prod` is not a valid environment name (must be 1 to 63 lower-case letters, digits, `.`, `_` or `-`, starting with a letter or digit)",
    ]);
    expect(errorsOf([...withBase(), "environment: eu-prod"], "policies/EU Prod.yml")).toEqual([]);
  });
});

describe("globs", () => {
  test.each<[string, string, string]>([
    ["empty", '""', "glob must not be empty"],
    ["absolute", "/clusters/**", "glob must be relative to the repository root: remove the leading `/`"],
    ["negated", '"!clusters/**"', "glob must not start with `!`: list the paths to leave out under `exclude`"],
    ["climbing out", "clusters/../secrets/**", "glob must not contain a `..` segment"],
    ["climbing at the start", "../x/**", "glob must not contain a `..` segment"],
    ["dot-relative", "./clusters/**", "glob must not contain a `.` segment: paths are relative to the repository root"],
    ["a bare folder", "clusters/", "glob must not end with `/`: write `clusters/**` to match the files in a folder"],
  ])("%s", (_title, glob, message) => {
    // Every glob list is checked: scope.paths, scope.exclude, scope.branches, rules[].paths, rules[].exclude.
    const lines = withBase([], {
      3: `  paths: [ok/**, ${glob}]`,
      6: `    paths: [${glob}]`,
    });
    const column = 18; // after "  paths: [ok/**, "
    expect(errorsOf(lines)).toEqual([`${FILE}:3:${column}: scope.paths[1]: ${message}`, `${FILE}:6:13: rules[0].paths[0]: ${message}`]);
    expect(errorsOf(withBase(["  - name: other", "    paths: [x/**]", `    exclude: [${glob}]`, "    approvals: 0"]))).toEqual([
      `${FILE}:11:15: rules[1].exclude[0]: ${message}`,
    ]);
  });

  test("in scope.exclude and scope.branches", () => {
    const lines = withBase([], { 3: '  paths: [clusters/**]\n  exclude: ["/docs/**"]\n  branches: ["!main"]' });
    expect(errorsOf(lines)).toEqual([
      `${FILE}:4:13: scope.exclude[0]: glob must be relative to the repository root: remove the leading \`/\``,
      `${FILE}:5:14: scope.branches[0]: glob must not start with \`!\`: branch globs cannot be negated`,
    ]);
  });

  test("branch globs are checked in branch words", () => {
    const lines = withBase([], { 3: '  paths: [clusters/**]\n  branches: [/main, "", release/]' });
    expect(errorsOf(lines)).toEqual([
      `${FILE}:4:14: scope.branches[0]: glob must not start with \`/\`: write the branch name, e.g. \`main\``,
      `${FILE}:4:21: scope.branches[1]: glob must not be empty`,
      `${FILE}:4:25: scope.branches[2]: glob must not end with \`/\`: write \`release/**\` to match the branches under \`release/\``,
    ]);
  });

  test("dots inside names and `**` are fine", () => {
    expect(errorsOf(withBase([], { 3: '  paths: ["**/*.sops.yaml", ".github/**", "a..b/**"]' }))).toEqual([]);
  });
});

describe("approvers", () => {
  test.each<[string, string, string[]]>([
    ["missing", "    exclude: []", [`${FILE}:5:5: rules[0].approvers: is required when approvals is above 0`]],
    ["an empty mapping", "    approvers: {}", [`${FILE}:8:16: rules[0].approvers: must name at least one team, user or permission when approvals is above 0`]],
    ["empty lists", "    approvers: { teams: [], users: [] }", [`${FILE}:8:16: rules[0].approvers: must name at least one team, user or permission when approvals is above 0`]],
  ])("a rule with approvals > 0 and approvers %s", (_title, line, expected) => {
    expect(errorsOf(withBase([], { 8: line }))).toEqual(expected);
  });

  test("are optional when approvals is 0", () => {
    expect(errorsOf(withBase([], { 7: "    approvals: 0", 8: "    exclude: []" }))).toEqual([]);
  });

  test("a permission alone is enough", () => {
    expect(errorsOf(withBase([], { 8: "    approvers: { permission: admin }" }))).toEqual([]);
  });

  test("break glass with approvals > 0 needs approvers too", () => {
    expect(errorsOf(withBase(["break_glass:", "  label: emergency", "  approvals: 1"]))).toEqual([
      `${FILE}:9:1: break_glass.approvers: is required when approvals is above 0`,
    ]);
    expect(errorsOf(withBase(["break_glass:", "  label: emergency", "  approvals: 1", "  approvers: { users: [] }"]))).toEqual([
      `${FILE}:12:14: break_glass.approvers: must name at least one team, user or permission when approvals is above 0`,
    ]);
  });
});

test("two rules in a file share a name", () => {
  const lines = withBase(["  - name: SRE", "    paths: [apps/**]", "    approvals: 0"]);
  expect(errorsOf(lines)).toEqual([`${FILE}:9:11: rules[1].name: rule name \`SRE\` is already used by rules[0]`]);
});

describe("freeze windows", () => {
  const freeze = (...window: string[]) => withBase(["freeze:", ...window]);

  test.each<[string, string[], string[]]>([
    [
      "mixing one-off and recurring forms",
      freeze("  - name: mixed", "    from: 2026-12-20T00:00:00Z", "    until: 2027-01-04T00:00:00Z", "    days: [sat]"),
      [`${FILE}:10:5: freeze[0]: mixes the one-off form (\`from\`, \`until\`) with the recurring form (\`days\`); split it into two windows`],
    ],
    [
      "neither form",
      freeze("  - name: nothing"),
      [`${FILE}:10:5: freeze[0]: needs either \`from\` and \`until\` (a one-off window) or \`days\` (a recurring window)`],
    ],
    ["a missing name", freeze("  - days: [sat]"), [`${FILE}:10:5: freeze[0].name: is required`]],
    [
      "until before from",
      freeze("  - name: x", "    from: 2027-01-04T00:00:00Z", "    until: 2026-12-20T00:00:00Z"),
      [`${FILE}:12:12: freeze[0].until: must be after \`from\``],
    ],
    [
      "until equal to from (in another zone)",
      freeze("  - name: x", "    from: 2026-12-20T01:00:00+01:00", "    until: 2026-12-20T00:00:00Z"),
      [`${FILE}:12:12: freeze[0].until: must be after \`from\``],
    ],
    [
      "a date-time without a zone",
      freeze("  - name: x", "    from: 2026-12-20T00:00:00", "    until: 2027-01-04T00:00:00Z"),
      [`${FILE}:11:11: freeze[0].from: must be an RFC 3339 date-time with a time zone, e.g. 2026-12-20T00:00:00Z`],
    ],
    [
      "a date without a time",
      freeze("  - name: x", "    from: 2026-12-20T00:00:00Z", "    until: 2027-01-04"),
      [`${FILE}:12:12: freeze[0].until: must be an RFC 3339 date-time with a time zone, e.g. 2026-12-20T00:00:00Z`],
    ],
    [
      "a date that does not exist",
      freeze("  - name: x", "    from: 2026-02-30T00:00:00Z", "    until: 2027-01-04T00:00:00Z"),
      [`${FILE}:11:11: freeze[0].from: is not a real date and time`],
    ],
    [
      "a one-off window without until",
      freeze("  - name: x", "    from: 2026-12-20T00:00:00Z"),
      [`${FILE}:10:5: freeze[0].until: is required: a one-off window needs both \`from\` and \`until\``],
    ],
    [
      "a recurring window without days",
      freeze("  - name: x", '    time: "18:00-06:00"'),
      [`${FILE}:10:5: freeze[0].days: is required: a recurring window needs \`days\``],
    ],
    [
      "a bad day",
      freeze("  - name: x", "    days: [sat, saturday]"),
      [`${FILE}:11:17: freeze[0].days[1]: must be one of mon, tue, wed, thu, fri, sat, sun`],
    ],
    ["no days", freeze("  - name: x", "    days: []"), [`${FILE}:11:11: freeze[0].days: must list at least one day`]],
    [
      "an hour past 24",
      freeze("  - name: x", "    days: [sat]", '    time: "25:00-26:00"'),
      [`${FILE}:12:11: freeze[0].time: must be a time range "HH:MM-HH:MM" from 00:00 to 24:00 (24:00 only as the end), e.g. "18:00-06:00"`],
    ],
    [
      "24:00 as the start",
      freeze("  - name: x", "    days: [sat]", '    time: "24:00-06:00"'),
      [`${FILE}:12:11: freeze[0].time: must be a time range "HH:MM-HH:MM" from 00:00 to 24:00 (24:00 only as the end), e.g. "18:00-06:00"`],
    ],
    [
      "minutes past 59",
      freeze("  - name: x", "    days: [sat]", '    time: "09:60-10:00"'),
      [`${FILE}:12:11: freeze[0].time: must be a time range "HH:MM-HH:MM" from 00:00 to 24:00 (24:00 only as the end), e.g. "18:00-06:00"`],
    ],
    [
      "a single time",
      freeze("  - name: x", "    days: [sat]", "    time: 09:00"),
      [`${FILE}:12:11: freeze[0].time: must be a time range "HH:MM-HH:MM" from 00:00 to 24:00 (24:00 only as the end), e.g. "18:00-06:00"`],
    ],
    [
      "start equal to end",
      freeze("  - name: x", "    days: [sat]", '    time: "09:00-09:00"'),
      [`${FILE}:12:11: freeze[0].time: start and end are the same time; use "00:00-24:00" for the whole day`],
    ],
    [
      "an unknown time zone",
      freeze("  - name: x", "    days: [sat]", "    timezone: Mars/Olympus_Mons"),
      [`${FILE}:12:15: freeze[0].timezone: unknown time zone \`Mars/Olympus_Mons\`; use an IANA time zone such as Europe/Berlin or UTC`],
    ],
  ])("%s", (_title, lines, expected) => {
    expect(errorsOf(lines)).toEqual(expected);
  });

  test.each([
    ["an overnight window (end before start)", '"22:00-06:00"'],
    ["a window to the end of the day", '"18:00-24:00"'],
    ["the whole day", '"00:00-24:00"'],
  ])("%s is valid", (_title, time) => {
    expect(errorsOf(withBase(["freeze:", "  - name: x", "    days: [fri]", `    time: ${time}`, "    timezone: America/New_York"]))).toEqual([]);
  });

  test("offsets and fractions in one-off windows are valid", () => {
    const lines = withBase(["freeze:", "  - name: x", "    from: 2026-12-20T00:00:00.5+05:30", "    until: 2026-12-20t00:00:01z"]);
    expect(errorsOf(lines)).toEqual([]);
  });
});

test("every error of a file is reported, sorted by line and column", () => {
  const lines = [
    "version: 1",
    "environment: Prod",
    "scope:",
    "  paths: [/clusters/**]",
    "rules:",
    "  - name: SRE",
    "    paths: [clusters/**]",
    "    approvals: 25",
    "    aprovers: { teams: [sre] }",
    "  - name: SRE",
    "    paths: [clusters/**]",
    "    approvals: 1",
    "freeze:",
    "  - name: weekends",
    "    days: [sat]",
    '    time: "09:00-09:00"',
  ];
  expect(errorsOf(lines)).toEqual([
    `${FILE}:2:14: environment: must be 1 to 63 lower-case letters, digits, \`.\`, \`_\` or \`-\`, starting with a letter or digit`,
    `${FILE}:4:11: scope.paths[0]: glob must be relative to the repository root: remove the leading \`/\``,
    `${FILE}:8:16: rules[0].approvals: must be an integer from 0 to 20`,
    `${FILE}:9:5: rules[0].aprovers: unknown key; did you mean \`approvers\`?`,
    `${FILE}:10:5: rules[1].approvers: is required when approvals is above 0`,
    `${FILE}:10:11: rules[1].name: rule name \`SRE\` is already used by rules[0]`,
    `${FILE}:16:11: freeze[0].time: start and end are the same time; use "00:00-24:00" for the whole day`,
  ]);
});

test("the file's environment is reported even when it is invalid", () => {
  expect(parsePolicyFile(FILE, "version: 2\nenvironment: eu-prod\n").environment).toBe("eu-prod");
  expect(parsePolicyFile(FILE, "version: 2\nenvironment: EU\n").environment).toBe("production");
  expect(parsePolicyFile(FILE, "[").environment).toBe("production");
});

describe("deploy and verify (SPEC §8)", () => {
  test("a policy gating GitHub environments and naming its reporters is valid, its defaults filled in", () => {
    const text = `${withBase(["deploy: { environments: [production, production-eu] }", 'verify: { statuses: ["kustomization/apps-production*"], deployments: [production] }']).join("\n")}\n`;
    const parsed = parsePolicyFile(FILE, text);
    expect(parsed.errors).toEqual([]);
    expect(parsed.policy?.deploy).toEqual({ environments: ["production", "production-eu"] });
    expect(parsed.policy?.verify).toEqual({ statuses: ["kustomization/apps-production*"], deployments: ["production"] });
    const bare = parsePolicyFile(FILE, `${withBase().join("\n")}\n`).policy;
    expect(bare?.deploy).toEqual({ environments: ["production"] });
    expect(bare?.verify).toEqual({ statuses: [], deployments: [] });
  });

  test.each<[string, string[], string[]]>([
    ["a status glob held to the glob rules", ['verify: { statuses: ["/kustomization/*"] }'], [`${FILE}:9:22: verify.statuses[0]: glob must not start with \`/\`: write the status context, e.g. \`kustomization/apps-production*\``]],
    ["a status glob over the length bound", [`verify: { statuses: ["${"a".repeat(1025)}"] }`], [`${FILE}:9:22: verify.statuses[0]: glob "${"a".repeat(59)}…" is 1,025 characters long; the limit is 1,024`]],
    ["an empty list of environments", ["deploy: { environments: [] }"], [`${FILE}:9:25: deploy.environments: must list at least one GitHub environment (leave \`deploy\` out to mean the policy's own environment)`]],
    ["an environment that is not a string", ["deploy: { environments: [1] }"], [`${FILE}:9:26: deploy.environments[0]: must be a GitHub environment name (a non-empty string)`]],
    ["a misspelt key", ["verify: { status: [x] }"], [`${FILE}:9:11: verify.status: unknown key; did you mean \`statuses\`?`]],
  ])("%s", (_title, lines, expected) => {
    expect(errorsOf(withBase(lines))).toEqual(expected);
  });
});
