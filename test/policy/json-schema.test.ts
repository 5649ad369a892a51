// The checked-in JSON Schema is the zod definition's, and editors using it accept what the app accepts.
import { Ajv } from "ajv";
import addFormats from "ajv-formats";
import { readFileSync } from "node:fs";
import { isDeepStrictEqual } from "node:util";
import { POLICY_SCHEMA_ID, POLICY_SCHEMA_PATH, policyJsonSchema, writePolicySchema } from "../../src/policy/json-schema.js";
import { parsePolicyFile } from "../../src/policy/load.js";
import { parseYaml } from "../../src/policy/yaml.js";

const REGENERATE = `UPDATE_SCHEMA=1 NODE_OPTIONS=--experimental-vm-modules npx jest test/policy/json-schema.test.ts`;

test(`${POLICY_SCHEMA_PATH} is up to date with the zod definition`, async () => {
  if (process.env.UPDATE_SCHEMA === "1") await writePolicySchema(POLICY_SCHEMA_PATH);
  const checkedIn: unknown = JSON.parse(readFileSync(POLICY_SCHEMA_PATH, "utf8"));
  if (!isDeepStrictEqual(checkedIn, policyJsonSchema())) {
    throw new Error(`${POLICY_SCHEMA_PATH} is out of date with src/policy/schema.ts; regenerate it with:\n  ${REGENERATE}`);
  }
});

test("the schema names itself and what it describes", () => {
  const schema = policyJsonSchema();
  expect(schema.$schema).toBe("http://json-schema.org/draft-07/schema#");
  expect(schema.$id).toBe(POLICY_SCHEMA_ID);
  expect(schema.title).toBe("compliance-gate policy");
  expect(Object.keys(schema).slice(0, 2)).toEqual(["$schema", "$id"]);
});

/** Every object schema inside `schema`, with its JSON pointer. */
function objectSchemas(schema: unknown, pointer = "#"): [string, Record<string, unknown>][] {
  if (typeof schema !== "object" || schema === null) return [];
  const node = schema as Record<string, unknown>;
  const here: [string, Record<string, unknown>][] = node.type === "object" ? [[pointer, node]] : [];
  const children = Object.entries(node).flatMap(([key, child]) =>
    key === "properties" && typeof child === "object" && child !== null
      ? Object.entries(child).flatMap(([name, property]) => objectSchemas(property, `${pointer}/properties/${name}`))
      : key === "items"
        ? objectSchemas(child, `${pointer}/items`)
        : [],
  );
  return [...here, ...children];
}

test("every object forbids unknown keys, so editors flag typos", () => {
  const objects = objectSchemas(policyJsonSchema());
  expect(objects.map(([pointer]) => pointer)).toEqual(
    expect.arrayContaining(["#", "#/properties/scope", "#/properties/rules/items", "#/properties/rules/items/properties/approvers", "#/properties/freeze/items"]),
  );
  expect(objects.filter(([, node]) => node.additionalProperties !== false).map(([pointer]) => pointer)).toEqual([]);
});

test("every property has a description for editors to show", () => {
  const undescribed = objectSchemas(policyJsonSchema()).flatMap(([pointer, node]) =>
    Object.entries(node.properties as Record<string, Record<string, unknown>>)
      .filter(([, property]) => typeof property.description !== "string")
      .map(([name]) => `${pointer}/properties/${name}`),
  );
  expect(undescribed).toEqual([]);
});

describe("an editor validating with the schema", () => {
  const validate = addFormats.default(new Ajv({ allErrors: true, strict: false })).compile(policyJsonSchema());
  const valueOf = (path: string) => parseYaml(path, readFileSync(path, "utf8")).value;

  test.each([
    "test/fixtures/policy/spec/production.yml",
    "test/fixtures/policy/folder/eu-prod.yml",
    "test/fixtures/policy/folder/staging.yaml",
    "policies/production.yml",
    "policies/staging.yml",
    "policies/governance.yml",
  ])("accepts the valid example %s", (path) => {
    expect(parsePolicyFile(path, readFileSync(path, "utf8")).errors).toEqual([]);
    expect(validate(valueOf(path))).toBe(true);
    expect(validate.errors ?? []).toEqual([]);
  });

  const base = { version: 1, scope: { paths: ["a/**"] }, rules: [{ name: "r", paths: ["a/**"], approvals: 1, approvers: { teams: ["sre"] } }] };
  const rule = base.rules[0] as Record<string, unknown>;

  test.each<[string, unknown]>([
    ["a misspelt key", { ...base, rules: [{ ...rule, aprovals: 1 }] }],
    ["approvals above 20", { ...base, rules: [{ ...rule, approvals: 21 }] }],
    ["approvals without approvers", { ...base, rules: [{ name: "r", paths: ["a/**"], approvals: 1 }] }],
    ["a freeze window of both forms", { ...base, freeze: [{ name: "f", from: "2026-12-20T00:00:00Z", until: "2027-01-04T00:00:00Z", days: ["sat"] }] }],
    ["a freeze window of neither form", { ...base, freeze: [{ name: "f" }] }],
    ["a bad day", { ...base, freeze: [{ name: "f", days: ["saturday"] }] }],
    ["a bad time range", { ...base, freeze: [{ name: "f", days: ["sat"], time: "24:00-01:00" }] }],
    ["an environment in capitals", { ...base, environment: "Production" }],
    ["version 2", { ...base, version: 2 }],
    ["a glob over 1,024 characters", { ...base, scope: { paths: [`${"a".repeat(1022)}/**`] } }],
  ])("flags %s, as the app does", (_title, value) => {
    expect(validate(value)).toBe(false);
  });

  test("a glob of 1,024 characters is accepted by both", () => {
    const value = { ...base, scope: { paths: [`${"a".repeat(1021)}/**`] } };
    expect(validate(value)).toBe(true);
    expect(parsePolicyFile("policies/x.yml", JSON.stringify(value)).errors).toEqual([]);
  });

  test("accepts approvals: 0 without approvers, and an overnight window", () => {
    const value = { ...base, rules: [{ name: "r", paths: ["a/**"], approvals: 0 }], freeze: [{ name: "f", days: ["fri"], time: "22:00-06:00" }] };
    expect(validate(value)).toBe(true);
  });
});
