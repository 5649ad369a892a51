// Snapshot tests of an environment's check run output (SPEC §3) for every state, rendered from real decisions.
import { decide } from "../../src/engine/decide.js";
import type { EnvironmentDecision, Facts, UnlinkedIdentity } from "../../src/engine/types.js";
import type { PolicySet } from "../../src/policy/types.js";
import type { CheckOutput } from "../../src/render/check-output.js";
import { MAX_FILES, renderEnvironmentCheck, type CheckContext } from "../../src/render/environment-check.js";
import { sizeOf } from "../../src/render/fit.js";
import { MAX_CHECK_TEXT } from "../../src/render/limits.js";
import { facts, invalid, oneOff, policy, policySet, review, rule, type PolicyInput } from "../engine/build.js";

const CONTEXT: CheckContext = { repository: "acme/gitops", policyCommit: "b".repeat(40) };

/** The production policy of the examples, with overrides. */
function production(overrides: Partial<PolicyInput> = {}): PolicyInput {
  return {
    environment: "production",
    description: "EU production cluster (Argo CD syncs main)",
    branches: ["main"],
    paths: ["clusters/production/**", "apps/*/overlays/production/**"],
    rules: [
      rule("SRE approves cluster changes", ["clusters/production/**"], 2, { teams: ["sre"] }),
      rule("Security approves secrets", ["**/secrets/**"], 1, { teams: ["security"], users: ["sam"] }),
    ],
    break_glass: { label: "emergency", approvals: 1, approvers: { teams: ["incident-commanders"] } },
    ...overrides,
  };
}

const TEAMS = { sre: ["alice", "bob", "carol"], security: ["sec"], "incident-commanders": ["ic"] };

/** The decision of one environment, made by the real engine. */
function decision(set: PolicySet, f: Facts, environment = "production"): EnvironmentDecision {
  const env = decide(set, f).environments.find((e) => e.environment === environment);
  if (!env) throw new Error(`no decision for ${environment}`);
  return env;
}

/** The check as a reviewer reads it: the title, the summary, and the text below them. */
function shown(output: CheckOutput): string {
  return [`# ${output.title}`, output.summary, ...(output.text !== undefined ? ["--- text ---", output.text] : [])].join("\n\n");
}

function render(env: EnvironmentDecision, context: Partial<CheckContext> = {}): CheckOutput {
  return renderEnvironmentCheck(env, { ...CONTEXT, ...context });
}
describe("renderEnvironmentCheck, one snapshot per state", () => {
  test("approved: who counted on which commit, who did not and why", () => {
    const env = decision(
      policySet([policy(production())]),
      facts({
        files: ["clusters/production/api.yaml", "clusters/production/db.yaml"],
        contributors: ["carol", "dave"],
        reviews: [
          review("alice", "APPROVED", { commit: "a1b2c3d4e5f6" }),
          review("bob", "APPROVED", { commit: "a1b2c3d4e5f6" }),
          review("carol"),
          review("dave"),
          review("renovate[bot]", "APPROVED", { bot: true }),
        ],
        head: "a1b2c3d4e5f6",
        teams: { ...TEAMS, sre: ["alice", "bob", "carol", "dave", "renovate[bot]"] },
      }),
    );
    expect(env.state).toBe("approved");
    const output = render(env);
    expect(output.title).toBe("Approved");
    expect(shown(output)).toMatchSnapshot();
  });

  test("approved by break glass, despite a freeze and a missing approval", () => {
    const env = decision(
      policySet([policy(production({ freeze: [oneOff("year-end freeze", "2026-11-30T00:00:00Z", "2026-12-02T00:00:00Z")] }))]),
      facts({
        files: ["clusters/production/api.yaml"],
        labels: ["emergency"],
        reviews: [review("ic"), review("alice")],
        teams: TEAMS,
      }),
    );
    expect(env).toMatchObject({ state: "approved", break_glass: true });
    expect(shown(render(env))).toMatchSnapshot();
  });

  test("not_affected", () => {
    const env = decision(policySet([policy(production())]), facts({ files: ["clusters/staging/api.yaml"] }));
    expect(env.state).toBe("not_affected");
    expect(shown(render(env))).toMatchSnapshot();
  });

  test("pending with two rules: who is still needed, as @mentions of users, teams and a permission", () => {
    const p = production({
      rules: [
        rule("SRE approves cluster changes", ["clusters/production/**"], 2, { teams: ["sre"], users: ["oncall"] }),
        rule("Security approves secrets", ["**/secrets/**"], 1, { teams: ["security", "other-org/auditors"], permission: "admin" }),
      ],
    });
    const env = decision(
      policySet([policy(p)]),
      facts({
        files: ["clusters/production/api.yaml", "clusters/production/secrets/db.sops.yaml"],
        reviews: [
          review("bob", "APPROVED", { commit: "h1" }),
          review("alice"),
          review("erin"),
          review("frank"),
          review("frank", "DISMISSED"),
        ],
        teams: { ...TEAMS, sre: ["alice", "bob", "frank"] },
        permissions: { erin: "write" },
      }),
    );
    expect(env.state).toBe("pending");
    const output = render(env, { warnings: ["team acme/security was not found (or the app cannot see it): nobody counts as its member"] });
    expect(output.title).toBe(env.title);
    expect(output.title).toMatch(/^Waiting for 1 approval from @oncall or @acme\/sre and 1 approval from @acme\/security, /);
    expect(output.summary).toContain("needs 1 more from @oncall or @acme/sre");
    expect(output.summary).toContain("needs 1 more from @acme/security, @other-org/auditors or anyone with admin access");
    expect(output.summary).toContain("@bob approved an older commit");
    expect(output.summary).toContain("@frank: review was dismissed");
    expect(output.summary).toContain("@erin is not an approver of this rule");
    expect(output.text).toBeUndefined();
    expect(shown(output)).toMatchSnapshot();
  });

  test("blocked by an uncovered path, a freeze and changes requested", () => {
    const env = decision(
      policySet([policy(production({ freeze: [oneOff("year-end freeze", "2026-11-30T00:00:00Z", "2026-12-02T00:00:00Z")] }))]),
      facts({
        files: ["clusters/production/api.yaml", "apps/api/overlays/production/kustomization.yaml"],
        reviews: [review("alice"), review("bob", "CHANGES_REQUESTED", { commit: "h1" })],
        teams: TEAMS,
      }),
    );
    expect(env).toMatchObject({ state: "blocked", uncovered: ["apps/api/overlays/production/kustomization.yaml"], freeze: "year-end freeze", changes_requested: ["bob"] });
    expect(shown(render(env))).toMatchSnapshot();
  });

  test("error: an invalid policy lists its errors as file:line:col lines", () => {
    const broken = invalid("production", [
      { line: 8, column: 5, field: "rules[0].aprovals", message: "unknown key; did you mean `approvals`?" },
      { line: 14, column: 7, field: "rules[1].approvals", message: "must be an integer from 0 to 20" },
    ]);
    const env = decision(policySet([], [broken]), facts({ files: ["clusters/production/api.yaml"] }));
    expect(env.state).toBe("error");
    const output = render(env);
    expect(output.summary).toContain("- ``policies/production.yml:8:5: rules[0].aprovals: unknown key; did you mean `approvals`?``");
    expect(shown(output)).toMatchSnapshot();
  });

  test("error: GitHub could not list every changed file", () => {
    const env = decision(policySet([policy(production())]), facts({ files: ["clusters/production/api.yaml"], files_truncated: true }));
    expect(env.state).toBe("error");
    expect(shown(render(env))).toMatchSnapshot();
  });
});

describe("commit identities linked to no GitHub account", () => {
  const LAPTOP: UnlinkedIdentity = { commit: "abc1234".padEnd(40, "0"), role: "author", name: "carol", email: "carol@laptop" };
  const FRANK: UnlinkedIdentity = { commit: "def5678".padEnd(40, "0"), role: "co-author", name: "frank", email: "frank@contractor.example" };
  const approved = { files: ["clusters/production/api.yaml"], reviews: [review("alice"), review("bob")], teams: TEAMS };

  test("with unlinked_commits: block they are the blocker, named with commit and role", () => {
    const env = decision(policySet([policy(production({ options: { unlinked_commits: "block" } }))]), facts({ ...approved, unlinked: [LAPTOP, FRANK] }));
    expect(env.state).toBe("blocked");
    const output = render(env);
    expect(output.title).toBe("Blocked: cannot tell who wrote abc1234: carol <carol@laptop> (+1 more)");
    expect(output.summary).toContain("**Blocked** — who wrote some commits cannot be told.");
    expect(output.summary).toContain("- `abc1234` author `carol <carol@laptop>`\n- `def5678` co-author `frank <frank@contractor.example>`");
    expect(shown(output)).toMatchSnapshot();
  });

  test("with unlinked_commits: warn the check passes and warns that separation of duties cannot be shown", () => {
    const env = decision(policySet([policy(production())]), facts({ ...approved, unlinked: [LAPTOP] }));
    expect(env.state).toBe("approved");
    const output = render(env);
    expect(output.title).toBe("Approved");
    expect(output.summary).toContain("### Warning: separation of duties cannot be shown");
    expect(shown(output)).toMatchSnapshot();
  });

  test("an environment the change does not touch says nothing about them", () => {
    const env = decision(policySet([policy(production({ options: { unlinked_commits: "block" } }))]), facts({ files: ["docs/x.md"], unlinked: [LAPTOP] }));
    expect(env.state).toBe("not_affected");
    expect(render(env).summary).not.toContain("commit identities");
  });

  test("the summary names the first 20; the text names them all", () => {
    const many = Array.from({ length: 25 }, (_, i): UnlinkedIdentity => ({ commit: `${i}`.padEnd(40, "c"), role: "author", name: `dev${i}`, email: `dev${i}@laptop` }));
    const output = render(decision(policySet([policy(production({ options: { unlinked_commits: "block" } }))]), facts({ ...approved, unlinked: many })));
    expect(output.summary.match(/^- `\d+c+` author `dev\d+ <dev\d+@laptop>`$/gm)).toHaveLength(20);
    expect(output.summary).toContain("- and 5 more");
    expect(output.text).toMatch(/^### All 25 commit identities linked to no GitHub account\n\n/);
    expect(output.text?.match(/^- `\d+c+` author `dev\d+ <dev\d+@laptop>`$/gm)).toHaveLength(25);
  });

  test("a hostile git name or e-mail is shown as typed in a code span, on one line, cut to 200 characters", () => {
    const evil: UnlinkedIdentity = { commit: "e".repeat(40), role: "co-author", name: "<img src=x onerror=alert(1)>\n# heading `x`", email: `${"a".repeat(300)}@x` };
    const output = render(decision(policySet([policy(production({ options: { unlinked_commits: "block" } }))]), facts({ ...approved, unlinked: [evil] })));
    const line = output.summary.split("\n").find((l) => l.startsWith("- `eeeeeee`")) as string;
    expect(line).toMatch(/^- `eeeeeee` co-author ``<img src=x onerror=alert\(1\)> # heading `x` <a+…``$/);
    expect([...line].length).toBeLessThan(240);
    expect(output.title).not.toContain("\n");
  });
});

describe("long lists", () => {
  const many = (n: number, dir: string) => Array.from({ length: n }, (_, i) => `${dir}/file-${String(i).padStart(3, "0")}.yaml`);

  test("a rule lists its first 10 files and counts the rest; the text lists them all", () => {
    const env = decision(
      policySet([policy(production({ paths: ["clusters/production/**", "apps/**"] }))]),
      facts({ files: [...many(25, "clusters/production"), ...many(12, "apps/api")], reviews: [review("alice")], teams: TEAMS }),
    );
    const output = render(env);
    expect(output.summary).toContain("**Files (25):**");
    expect(output.summary).toContain("  - and 15 more");
    expect(output.summary).toContain("### No rule covers 12 paths");
    expect(output.summary).toContain("- and 2 more");
    expect(output.summary.match(/`clusters\/production\/file-\d+\.yaml`/g)).toHaveLength(MAX_FILES);
    expect(output.text?.match(/`clusters\/production\/file-\d+\.yaml`/g)).toHaveLength(25);
    expect(output.text?.match(/`apps\/api\/file-\d+\.yaml`/g)).toHaveLength(12);
    expect(shown(output)).toMatchSnapshot();
  });

  test("a summary over GitHub's 65,535 limit is cut between sections, with a note, keeping the policy link", () => {
    const rules = Array.from({ length: 2000 }, (_, i) => rule(`rule ${i} ${"x".repeat(40)}`, ["clusters/production/**"], 1, { users: [`user${i}`] }));
    const env = decision(policySet([policy(production({ rules }))]), facts({ files: ["clusters/production/api.yaml"] }));
    const output = render(env);
    expect(sizeOf(output.summary)).toBeLessThanOrEqual(MAX_CHECK_TEXT);
    expect(output.summary).toMatch(/\*Cut to fit GitHub's limit: [\d,]+ sections not shown\. `compliance-gate explain` prints the whole decision\.\*/);
    expect(output.summary).toMatch(/Policy: \[`policies\/production\.yml`\]\(https:\/\/github\.com\/acme\/gitops\/blob\/b{40}\/policies\/production\.yml\) at base commit `bbbbbbb`\.$/);
    // cut between whole sections: the last rule shown is complete
    const shownRules = output.summary.match(/### Rule: /g)?.length ?? 0;
    expect(shownRules).toBeGreaterThan(100);
    expect(output.summary).toContain(`rule ${shownRules - 1} ${"x".repeat(40)}\n\n- **Approvals:** 0 of 1 — needs 1 more from @user${shownRules - 1}\n- **Files (1):**`);
    // explain lifts the limit
    const whole = render(env, { limit: Number.POSITIVE_INFINITY });
    expect(whole.summary.match(/### Rule: /g)).toHaveLength(2000);
    expect(whole.summary).not.toContain("Cut to fit");
  });

  test("multi-byte characters count as the bytes they take", () => {
    const rules = Array.from({ length: 1000 }, (_, i) => rule(`Регель ${i} ${"é".repeat(30)}`, ["clusters/production/**"], 1, { users: ["u"] }));
    const env = decision(policySet([policy(production({ rules }))]), facts({ files: ["clusters/production/api.yaml"] }));
    expect(sizeOf(render(env).summary)).toBeLessThanOrEqual(MAX_CHECK_TEXT);
  });

  test("text over the limit keeps the items that fit and says how many it left out", () => {
    const files = Array.from({ length: 5000 }, (_, i) => `clusters/production/${"deep/".repeat(5)}file-${i}.yaml`);
    const env = decision(policySet([policy(production())]), facts({ files }));
    const output = render(env);
    expect(sizeOf(output.summary)).toBeLessThanOrEqual(MAX_CHECK_TEXT);
    expect(output.text).toBeDefined();
    const detail = output.text as string;
    expect(sizeOf(detail)).toBeLessThanOrEqual(MAX_CHECK_TEXT);
    expect(detail).toMatch(/^### All 5,000 files of rule SRE approves cluster changes\n\n- `clusters/);
    expect(detail).toMatch(/- and [\d,]+ more not shown\n\n\*Cut to fit GitHub's limit: [\d,]+ list items not shown\./);
  });
});

describe("hostile names", () => {
  const HOSTILE_RULE = "**Ship it** <img src=x onerror=alert(1)> [click](https://evil.example) | `code` &amp; $x$";
  const HOSTILE_PATH = "clusters/production/`rm -rf`/<script>alert(1)</script>\n# heading.yaml";

  function hostile(): CheckOutput {
    const env = decision(
      policySet([
        policy(
          production({
            description: "Prod\n\n# not a heading\n- not a list <b>bold</b>",
            rules: [rule(HOSTILE_RULE, ["clusters/production/**"], 2, { users: ["alice"] })],
          }),
        ),
      ]),
      facts({
        files: [HOSTILE_PATH, "clusters/production/``double``.yaml", "clusters/production/ spaced "],
        reviews: [review("alice"), review("eve](https://evil.example)<b>"), review("x_y_", "APPROVED", { commit: "old" })],
      }),
    );
    return render(env, { warnings: ["git identity <img src=x> [me](http://evil) *bold* (1 commit) is linked to no GitHub account"] });
  }

  test("are escaped: no HTML, links or formatting from user-controlled strings", () => {
    const output = hostile();
    const md = output.summary;
    // Outside code spans (where HTML shows as typed) and our own link to the policy file, no tag
    // or link survives unescaped.
    const prose = md
      .slice(0, md.lastIndexOf("\n\nPolicy: "))
      .replace(/(?<![\\`])(`+)(?!`)[\s\S]*?(?<!`)\1(?!`)/g, "");
    expect(prose).not.toMatch(/(^|[^\\])<[a-z/]/m);
    expect(prose).not.toMatch(/(^|[^\\])\]/m);
    expect(md).toContain(String.raw`### Rule: \*\*Ship it\*\* \<img src=x onerror=alert(1)\> \[click\](https://evil.example) \| \`code\` \&amp; \$x\$`);
    // paths are code spans whose fence outlasts the backticks inside; a newline is shown, not obeyed
    expect(md).toContain("- ``clusters/production/`rm -rf`/<script>alert(1)</script>\\n# heading.yaml``");
    expect(md).toContain("- ```clusters/production/``double``.yaml```");
    expect(md).toContain("- `clusters/production/ spaced `");
    expect(md).toContain(String.raw`@eve\](https://evil.example)\<b\> and @x\_y\_ are not approvers of this rule`);
    expect(md).toContain(String.raw`**Environment:** production — Prod \# not a heading - not a list \<b\>bold\</b\>`);
    expect(shown(output)).toMatchSnapshot();
  });

  test("cannot break out of a list item: every line is a list item, a heading, or a known sentence", () => {
    for (const line of hostile().summary.split("\n")) {
      expect(line).toMatch(/^(|### .*|\*\*[A-Z][a-z ]+(:?\*\*| —).*|( {2})?- .*|Nobody can approve .*|Policy: .*|Break glass .*)$/);
    }
  });
});
