// How policy errors print and sort.
import { formatPolicyError, sortPolicyErrors } from "../../src/policy/errors.js";
import type { PolicyError } from "../../src/policy/types.js";

describe("formatPolicyError", () => {
  test("prints file:line:col: field: message, as in SPEC §1.1", () => {
    const error = { file: "policies/production.yml", line: 14, column: 7, field: "rules[1].approvals", message: "must be an integer from 0 to 20" };
    expect(formatPolicyError(error)).toBe("policies/production.yml:14:7: rules[1].approvals: must be an integer from 0 to 20");
  });

  test("leaves out the position when unknown, and the field when empty", () => {
    expect(formatPolicyError({ file: "p.yml", field: "", message: "file is empty" })).toBe("p.yml: file is empty");
    expect(formatPolicyError({ file: "p.yml", field: "environment", message: "x" })).toBe("p.yml: environment: x");
    expect(formatPolicyError({ file: "p.yml", line: 3, column: 1, field: "", message: "x" })).toBe("p.yml:3:1: x");
    expect(formatPolicyError({ file: "p.yml", line: 3, field: "a", message: "x" })).toBe("p.yml:3: a: x");
  });
});

test("sortPolicyErrors orders by file, line, column, and keeps ties in order", () => {
  const at = (file: string, line: number | undefined, column: number | undefined, message: string): PolicyError => ({
    file,
    ...(line === undefined ? {} : { line }),
    ...(column === undefined ? {} : { column }),
    field: "",
    message,
  });
  const errors = [at("b", 1, 1, "b1"), at("a", 2, 5, "a25"), at("a", 2, 1, "a21"), at("a", undefined, undefined, "a-"), at("a", 2, 1, "a21'")];
  expect(sortPolicyErrors(errors).map((e) => e.message)).toEqual(["a-", "a21", "a21'", "a25", "b1"]);
  expect(errors[0]?.message).toBe("b1");
});
