// The output of compliance/policy (SPEC §3.2): validation errors as file:line:col lines, or the files found valid.
import type { CheckOutput } from "../../src/render/check-output.js";
import { MAX_CHECK_TITLE } from "../../src/render/limits.js";
import { renderPolicyCheck } from "../../src/render/policy-check.js";

/** The check as a reviewer reads it: the title, the summary, and the text below them. */
function shown(output: CheckOutput): string {
  return [`# ${output.title}`, output.summary, ...(output.text !== undefined ? ["--- text ---", output.text] : [])].join("\n\n");
}

describe("renderPolicyCheck", () => {
  test("errors as file:line:col: field: message", () => {
    const output = renderPolicyCheck(
      [
        { file: "policies/production.yml", line: 8, column: 5, field: "rules[0].aprovals", message: "unknown key; did you mean `approvals`?" },
        { file: "policies/production.yml", line: 14, column: 7, field: "rules[1].approvals", message: "must be an integer from 0 to 20" },
        { file: "policies/staging.yml", field: "", message: "not valid YAML" },
      ],
      ["policies/governance.yml", "policies/production.yml", "policies/staging.yml"],
    );
    expect(output.title).toBe("3 errors in 2 policy files: policies/production.yml:8:5: rules[0].aprovals: unknown key; did you mean `approvals`?");
    expect(shown(output)).toMatchSnapshot();
  });

  test("success lists the validated files", () => {
    const output = renderPolicyCheck([], ["policies/governance.yml", "policies/production.yml"]);
    expect(output.title).toBe("2 policy files are valid");
    expect(shown(output)).toMatchSnapshot();
    expect(renderPolicyCheck([], ["policies/production.yml"]).title).toBe("1 policy file is valid");
    expect(renderPolicyCheck([], []).title).toBe("No policy files to validate");
  });

  test("a title stays within 1,000 characters on one line", () => {
    const output = renderPolicyCheck([{ file: "policies/p.yml", line: 1, column: 1, field: "x", message: `bad\n${"m".repeat(2000)}` }], ["policies/p.yml"]);
    expect(output.title.length).toBe(MAX_CHECK_TITLE);
    expect(output.title).not.toContain("\n");
  });
});
