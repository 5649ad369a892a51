// Who may write an audit record: one rule for the app's own "already recorded" checks and for the export.
import { botLogin, checkRunWriter, recordWriter, type Author } from "../../src/audit/writer.js";

const APP = "compliance-gate[bot]";

describe("recordWriter", () => {
  const table: [string, Author | null, string | undefined, ReturnType<typeof recordWriter>][] = [
    ["the pinned app", { login: "compliance-gate[bot]", type: "Bot" }, APP, { ok: true }],
    ["the pinned app, in other letter case", { login: "Compliance-Gate[bot]", type: "Bot" }, APP, { ok: true }],
    ["another app when one is pinned", { login: "other-app[bot]", type: "Bot" }, APP, { ok: false, why: "@other-app[bot] is not @compliance-gate[bot]" }],
    ["any app when none is pinned", { login: "other-app[bot]", type: "Bot" }, undefined, { ok: true }],
    ["a human, even named like the app", { login: "compliance-gate[bot]", type: "User" }, APP, { ok: false, why: "@compliance-gate[bot] is not a GitHub App" }],
    ["a human when none is pinned", { login: "mallory", type: "User" }, undefined, { ok: false, why: "@mallory is not a GitHub App" }],
    ["an organization", { login: "acme", type: "Organization" }, undefined, { ok: false, why: "@acme is not a GitHub App" }],
    ["a deleted account", null, undefined, { ok: false, why: "@a deleted account is not a GitHub App" }],
    ["a bot without a login when one is pinned", { type: "Bot" }, APP, { ok: false, why: "@a deleted account is not @compliance-gate[bot]" }],
  ];
  test.each(table)("%s", (_name, author, app, verdict) => {
    expect(recordWriter(author, app)).toEqual(verdict);
  });
});

describe("checkRunWriter: a check run names the app that wrote it by slug", () => {
  const table: [string, string | null | undefined, string | undefined, ReturnType<typeof checkRunWriter>][] = [
    ["the pinned app", "compliance-gate", APP, { ok: true }],
    ["the pinned app, in other letter case", "COMPLIANCE-gate", APP, { ok: true }],
    ["another app", "other-app", APP, { ok: false, why: "@other-app[bot] is not @compliance-gate[bot]" }],
    ["any app when none is pinned", "other-app", undefined, { ok: true }],
    ["no app named", undefined, APP, { ok: false, why: "GitHub names no app that wrote it" }],
    ["an empty slug", "", undefined, { ok: false, why: "GitHub names no app that wrote it" }],
  ];
  test.each(table)("%s", (_name, slug, app, verdict) => {
    expect(checkRunWriter(slug, app)).toEqual(verdict);
  });
});

test("the app with slug x writes as x[bot]", () => {
  expect(botLogin("compliance-gate")).toBe(APP);
  expect(recordWriter({ login: botLogin("x"), type: "Bot" }, botLogin("x")).ok).toBe(true);
});
