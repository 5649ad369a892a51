// Zod errors located in YAML: required keys, unknown keys with a suggestion, prefixed fields.
import { z } from "zod";
import { formatPolicyError } from "../../src/policy/errors.js";
import { closestKey, schemaErrors, unknownKeyMessage } from "../../src/policy/schema-errors.js";
import { parseYaml } from "../../src/policy/yaml.js";

const change = z.strictObject({
  base: z.string({ error: "must be a branch name" }),
  files: z.array(z.strictObject({ path: z.string(), status: z.enum(["added", "removed"], { error: "must be added or removed" }).optional() }), {
    error: "must be a list",
  }),
  teams: z.record(z.string(), z.array(z.strictObject({ login: z.string() }))).optional(),
});

function errorsOf(text: string, schema: z.ZodType, value: (v: unknown) => unknown = (v) => v, field = ""): string[] {
  const yaml = parseYaml("c.yml", text);
  const result = schema.safeParse(value(yaml.value));
  return result.success ? [] : schemaErrors("c.yml", result.error, yaml.locate, schema, field).map(formatPolicyError);
}

test("missing keys, wrong values and unknown keys, sorted by position", () => {
  const text = "files:\n  - { path: a, stauts: added }\n  - { path: b, status: gone }\nbsae: main\n";
  expect(errorsOf(text, change)).toEqual([
    "c.yml:1:1: base: is required",
    "c.yml:2:16: files[0].stauts: unknown key; did you mean `status`?",
    "c.yml:3:24: files[1].status: must be added or removed",
    "c.yml:4:1: bsae: unknown key; did you mean `base`?",
  ]);
});

test("unknown keys inside records and arrays find their object schema", () => {
  const text = "base: main\nfiles: []\nteams:\n  sre:\n    - { logn: alice }\n";
  expect(errorsOf(text, change)).toEqual(["c.yml:5:7: teams.sre[0].login: is required", "c.yml:5:9: teams.sre[0].logn: unknown key; did you mean `login`?"]);
});

test("a value validated inside a bigger file gets the prefix of where it sits", () => {
  const text = "- name: one\n  change:\n    base: main\n    files: nope\n";
  const errors = errorsOf(text, change, (v) => (v as { change: unknown }[])[0]?.change, "[0].change");
  expect(errors).toEqual(["c.yml:4:12: [0].change.files: must be a list"]);
});

test("a value present but null is a wrong value, not a missing one", () => {
  expect(errorsOf("base:\nfiles: []\n", change)).toEqual(["c.yml:1:1: base: must be a branch name"]);
});

describe("did you mean", () => {
  const known = ["approvals", "approvers", "paths", "exclude", "name"];
  test.each<[string, string | undefined]>([
    ["aprovals", "approvals"],
    ["approver", "approvers"],
    ["Approvals", "approvals"],
    ["path", "paths"],
    ["excludes", "exclude"],
    ["nmae", "name"],
    ["owners", undefined],
    ["x", undefined],
  ])("%s → %s", (key, expected) => {
    expect(closestKey(key, known)).toBe(expected);
  });

  test("without a close key, the message lists the keys allowed there", () => {
    expect(unknownKeyMessage("owners", known)).toBe("unknown key; expected one of approvals, approvers, paths, exclude, name");
    expect(unknownKeyMessage("owners", [])).toBe("unknown key");
  });
});
