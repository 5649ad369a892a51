// The failing output that replaces a check of an environment that no longer judges the pull request.
import { renderNotEvaluated } from "../../src/render/not-evaluated.js";

test("the base branch changed to one this environment does not gate", () => {
  expect(renderNotEvaluated("compliance/production", { base: "develop", oldBase: "main", noPolicies: false })).toMatchSnapshot();
});

test("the base branch changed to one without policies, the old one unknown", () => {
  const output = renderNotEvaluated("compliance/production", { base: "develop", oldBase: undefined, noPolicies: true });
  expect(output.title).toBe("Not evaluated: the base branch is now develop, which has no policies");
  expect(output.summary).toContain("while the pull request targeted another base branch;");
});
