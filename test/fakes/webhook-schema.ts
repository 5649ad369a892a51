// GitHub's own description of webhook payloads (@octokit/openapi-webhooks): a payload a test builds
// by hand — GitHub's examples have none of deployment_protection_rule — is checked against it, so its
// shape is GitHub's and not the test's guess.
import { createRequire } from "node:module";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";

const SPEC = createRequire(import.meta.url)("@octokit/openapi-webhooks/generated/api.github.com.json") as Record<string, unknown>;

let ajv: Ajv2020 | undefined;

/** The errors of `payload` against the schema of webhook `name` (e.g. `webhook-deployment-protection-rule-requested`); empty when it conforms. */
export function webhookSchemaErrors(name: string, payload: unknown): string[] {
  if (ajv === undefined) {
    ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true });
    (addFormats as unknown as (a: Ajv2020) => void)(ajv);
    ajv.addSchema({ ...SPEC, $id: "github-webhooks" });
  }
  const validate = ajv.compile({ $ref: `github-webhooks#/components/schemas/${name}` });
  if (validate(payload)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message ?? "is invalid"}`);
}
