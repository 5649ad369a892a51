// Branch globs as ruleset ref_name patterns (GitHub's fnmatch with FNM_PATHNAME, no extglob, no escapes).
import { rulesetPattern } from "../../src/policy/ruleset-patterns.js";

test.each([
  ["main", [{ glob: "main", literal: true, ref: "refs/heads/main" }]],
  ["release/*", [{ glob: "release/*", literal: false, ref: "refs/heads/release/*" }]],
  ["release/**", [{ glob: "release/**", literal: false, ref: "refs/heads/release/**/*" }]],
  ["**", [{ glob: "**", literal: false, ref: "refs/heads/**/*" }]],
  ["a/**/b", [{ glob: "a/**/b", literal: false, ref: "refs/heads/a/**/b" }]],
  ["v?", [{ glob: "v?", literal: false, ref: "refs/heads/v?" }]],
  ["hotfix-[0-9]", [{ glob: "hotfix-[0-9]", literal: false, ref: "refs/heads/hotfix-[0-9]" }]],
  ["x[^a]", [{ glob: "x[^a]", literal: false, ref: "refs/heads/x[!a]" }]],
  [
    "{main,release/*}",
    [
      { glob: "main", literal: true, ref: "refs/heads/main" },
      { glob: "release/*", literal: false, ref: "refs/heads/release/*" },
    ],
  ],
])("%s is targeted as %j", (glob, targets) => {
  expect(rulesetPattern(glob)).toEqual({ ok: true, targets });
});

test.each([
  ["release/+(eu|us)", /extglob/],
  ["@(main|dev)", /extglob/],
  ["!(main)", /extglob/],
  ["v\\*", /escape/],
  ["v[[:digit:]]", /POSIX/],
])("%s cannot be enforced: %s", (glob, reason) => {
  const result = rulesetPattern(glob);
  expect(result.ok).toBe(false);
  if (!result.ok) expect(result.reason).toMatch(reason);
});
