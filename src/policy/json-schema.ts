// The policy file's JSON Schema, generated from the zod definition so editors flag what the app rejects.
// Reference it from a policy file with `# yaml-language-server: $schema=../schema/policy.schema.json`.
import { writeFile } from "node:fs/promises";
import { z } from "zod";
import { breakGlassSchema, freezeWindowSchema, policySchema, ruleSchema } from "./schema.js";

/** The schema's identifier; it names the format, not a place (editors find the file by the `$schema` comment). */
export const POLICY_SCHEMA_ID = "urn:compliance-gate:schema:policy:v1";

/** Where the generated schema is checked in, relative to the repository root. */
export const POLICY_SCHEMA_PATH = "schema/policy.schema.json";

/** The JSON Schema (draft-07, which editors support best) of a policy file, as written (defaults optional). */
export function policyJsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(policySchema, {
    target: "draft-07",
    io: "input",
    override: ({ zodSchema, jsonSchema }) => {
      // What semantics.ts enforces and JSON Schema can say too, so editors flag it while typing.
      if (zodSchema === ruleSchema || zodSchema === breakGlassSchema) {
        Object.assign(jsonSchema, {
          if: { properties: { approvals: { exclusiveMinimum: 0 } }, required: ["approvals"] },
          then: { required: ["approvers"] },
        });
      }
      if (zodSchema === freezeWindowSchema) {
        const anyOf = (keys: string[]) => ({ anyOf: keys.map((key) => ({ required: [key] })) });
        Object.assign(jsonSchema, {
          oneOf: [
            { required: ["from", "until"], not: anyOf(["days", "time", "timezone"]) },
            { required: ["days"], not: anyOf(["from", "until"]) },
          ],
        });
      }
    },
  });
  const { $schema, ...rest } = generated;
  return { $schema, $id: POLICY_SCHEMA_ID, ...rest };
}

/** Writes `policyJsonSchema()` to `path` as stable, indented JSON (how schema/policy.schema.json is regenerated). */
export async function writePolicySchema(path: string): Promise<void> {
  await writeFile(path, `${JSON.stringify(policyJsonSchema(), null, 2)}\n`, "utf8");
}
