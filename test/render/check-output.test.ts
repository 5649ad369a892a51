// The one cut that makes any check output fit GitHub's limits before it is posted.
import { fitCheckOutput } from "../../src/render/check-output.js";

describe("fitCheckOutput", () => {
  test("output beyond GitHub's limits is cut, not refused", () => {
    const fitted = fitCheckOutput({ title: "x".repeat(2000), summary: "y".repeat(70_000), text: "z".repeat(70_000) });
    expect(fitted.title).toHaveLength(1000);
    expect(fitted.summary).toHaveLength(65_535);
    expect(fitted.text).toHaveLength(65_535);
    expect(fitted.summary.endsWith("65,535 characters)")).toBe(true);
  });
});
