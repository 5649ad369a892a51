// deploy/kubernetes/, read as kustomize builds it: the base, the optional ServiceMonitor and the
// example overlay hang together (labels, ports, names), and their ports, probes and variables are
// those of the app — read from src/app/config.ts, the app's sources and Probot's, not restated here.
import { readFileSync } from "node:fs";
import { loadConfig } from "../../src/app/config.js";
import { MAX_BODY_BYTES } from "../../src/app/webhook-server.js";
import { appServes, variablesInSource, variablesOfApp, variablesOfConfig } from "./app-facts.js";
import { build, kustomizationOf, one, strategicMerge, type Manifest } from "./kustomize.js";

const BASE = "deploy/kubernetes/base";
const OVERLAY = "deploy/kubernetes/overlays/example";
const MONITOR = "deploy/kubernetes/components/servicemonitor";
/** The Secret's keys: the app's credentials and keys, never in a ConfigMap or a manifest's value. */
const SECRET_VARIABLES = ["APP_ID", "PRIVATE_KEY", "WEBHOOK_SECRET", "AUDIT_SIGNING_KEY", "REDIS_URL"];

const base = build(BASE);
const overlay = build(OVERLAY);

const podSpec = (manifests: Manifest[]): Manifest => one(manifests, "Deployment")["spec"]["template"]["spec"];
const containerOf = (manifests: Manifest[]): Manifest => {
  const containers = podSpec(manifests)["containers"] as Manifest[];
  expect(containers).toHaveLength(1);
  return containers[0] as Manifest;
};
/** The variables a build gives the container: its env, and the keys of the ConfigMaps it takes whole. */
function variablesOf(manifests: Manifest[]): Map<string, Manifest> {
  const container = containerOf(manifests);
  const variables = new Map<string, Manifest>();
  for (const source of (container["envFrom"] ?? []) as Manifest[]) {
    const configMap = one(manifests, "ConfigMap", source["configMapRef"]["name"]);
    for (const [name, value] of Object.entries(configMap["data"] ?? {})) variables.set(name, { name, value, from: "ConfigMap" });
  }
  for (const entry of (container["env"] ?? []) as Manifest[]) variables.set(entry["name"], entry);
  return variables;
}

test("the test's kustomize merges as kustomize does: named lists by name, objects by field", () => {
  const merged = strategicMerge(
    { spec: { replicas: 2, containers: [{ name: "a", image: "x", env: [{ name: "A", value: "1" }] }] } },
    { spec: { replicas: 3, containers: [{ name: "a", env: [{ name: "B", value: "2" }] }] } },
  );
  expect(merged).toEqual({ spec: { replicas: 3, containers: [{ name: "a", image: "x", env: [{ name: "A", value: "1" }, { name: "B", value: "2" }] }] } });
  expect(() => build("deploy/kubernetes")).toThrow(/no kustomization.yaml/);
});

test("the base: two replicas, a Service, a PodDisruptionBudget and a ServiceAccount over the same pods", () => {
  expect(base.map((m) => m["kind"]).sort()).toEqual(["ConfigMap", "Deployment", "PodDisruptionBudget", "Service", "ServiceAccount"]);
  const deployment = one(base, "Deployment");
  expect(deployment["spec"]["replicas"]).toBe(2);
  const podLabels = deployment["spec"]["template"]["metadata"]["labels"] as Record<string, string>;
  const selects = (selector: Record<string, string>): boolean => Object.entries(selector).every(([k, v]) => podLabels[k] === v);
  expect(selects(deployment["spec"]["selector"]["matchLabels"])).toBe(true);
  expect(selects(one(base, "Service")["spec"]["selector"])).toBe(true);
  const budget = one(base, "PodDisruptionBudget");
  expect(selects(budget["spec"]["selector"]["matchLabels"])).toBe(true);
  expect(budget["spec"]["minAvailable"]).toBeLessThan(deployment["spec"]["replicas"]);
  expect(podSpec(base)["serviceAccountName"]).toBe(one(base, "ServiceAccount")["metadata"]["name"]);
  expect(podSpec(base)["automountServiceAccountToken"]).toBe(false);
  expect(deployment["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"]).toBe(0);
});

test("one port: the app's PORT, named http, which the Service, the probes and the ServiceMonitor use", () => {
  const container = containerOf(base);
  const [port] = container["ports"] as Manifest[];
  expect(container["ports"]).toHaveLength(1);
  expect(port?.["name"]).toBe("http");
  const variables = variablesOf(base);
  expect(variables.get("PORT")?.["value"]).toBe(String(port?.["containerPort"]));
  expect(variables.get("HOST")?.["value"]).toBe("0.0.0.0");
  for (const name of ["PORT", "HOST"]) expect(variablesOfApp().has(name)).toBe(true);
  expect(one(base, "Service")["spec"]["ports"]).toEqual([expect.objectContaining({ name: "http", targetPort: "http" })]);
  for (const probe of ["startupProbe", "livenessProbe", "readinessProbe"]) expect(container[probe]["httpGet"]["port"]).toBe("http");
  const monitor = one(build(MONITOR), "ServiceMonitor");
  expect(monitor["spec"]["endpoints"].map((e: Manifest) => e["port"])).toEqual(["http"]);
  expect(monitor["spec"]["selector"]["matchLabels"]).toEqual(one(base, "Service")["metadata"]["labels"]);
});

test("probes: alive on /healthz (startup and liveness), ready on /readyz", () => {
  const container = containerOf(base);
  expect(container["startupProbe"]["httpGet"]["path"]).toBe("/healthz");
  expect(container["livenessProbe"]["httpGet"]["path"]).toBe("/healthz");
  expect(container["readinessProbe"]["httpGet"]["path"]).toBe("/readyz");
  // Liveness must not fail while the queue is down (a restart would not bring Redis back).
  expect(container["livenessProbe"]["httpGet"]["path"]).not.toBe(container["readinessProbe"]["httpGet"]["path"]);
});

// The probes name paths that the app's own server (src/app/webhook-server.ts, issue 10) serves.
test("the probe paths are served by the app's server", () => {
  const container = containerOf(base);
  for (const probe of ["livenessProbe", "readinessProbe"]) expect(appServes(container[probe]["httpGet"]["path"])).toBe(true);
});
test("the ServiceMonitor's path is served by the app", () => {
  for (const endpoint of one(build(MONITOR), "ServiceMonitor")["spec"]["endpoints"] as Manifest[]) expect(appServes(endpoint["path"])).toBe(true);
});

test("the app's credentials and keys come from the Secret, each under its own name, never as a value", () => {
  for (const manifests of [base, overlay]) {
    const variables = variablesOf(manifests);
    for (const name of SECRET_VARIABLES) {
      expect(variables.get(name)).toEqual({ name, valueFrom: { secretKeyRef: { name: "compliance-gate", key: name } } });
    }
  }
  expect(overlay.some((m) => m["kind"] === "Secret")).toBe(false);
});

test("every variable the manifests set is one the app reads", () => {
  const read = variablesOfApp();
  for (const manifests of [base, overlay]) {
    const unknown = [...variablesOf(manifests).keys()].filter((name) => !read.has(name));
    expect(unknown).toEqual([]);
  }
});

test("every variable of the app's configuration is documented in the README's Configuration", () => {
  const readme = readFileSync("README.md", "utf8");
  const section = readme.slice(readme.indexOf("\n### Configuration\n"), readme.indexOf("\n### ", readme.indexOf("\n### Configuration\n") + 1));
  expect(section.length).toBeGreaterThan(100);
  const missing = [...variablesOfConfig()].filter((name) => !section.includes(`\`${name}\``));
  expect(missing).toEqual([]);
});

test("the example overlay's settings are ones the app accepts at start", () => {
  const settings = Object.fromEntries([...variablesOf(overlay)].filter(([, v]) => typeof v["value"] === "string").map(([k, v]) => [k, v["value"] as string]));
  expect(Object.keys(settings)).toEqual(expect.arrayContaining(["COMPLIANCE_CONCURRENCY"]));
  expect(() => loadConfig(settings)).not.toThrow();
  expect(loadConfig(settings).concurrency).toBe(Number(settings["COMPLIANCE_CONCURRENCY"]));
});

test("the example overlay: the base, the ServiceMonitor component, an image of its own and only the webhook path public", () => {
  const k = kustomizationOf(OVERLAY);
  expect(k["resources"]).toContain("../../base");
  expect(k["components"]).toEqual(["../../components/servicemonitor"]);
  expect(kustomizationOf(MONITOR)["kind"]).toBe("Component");
  expect(containerOf(overlay)["image"]).toMatch(/^[\w.-]+\/[\w./-]+:[\w.-]+$/);
  expect(overlay.every((m) => m["kind"] === "Namespace" || m["metadata"]["namespace"] === k["namespace"])).toBe(true);
  const paths = (one(overlay, "Ingress")["spec"]["rules"] as Manifest[]).flatMap((r) => r["http"]["paths"] as Manifest[]);
  expect(paths.map((p) => [p["path"], p["pathType"], p["backend"]["service"]["name"], p["backend"]["service"]["port"]["name"]])).toEqual([
    ["/api/github/webhooks", "Exact", one(overlay, "Service")["metadata"]["name"], "http"],
  ]);
});

test("the example Ingress lets through a delivery as large as the app takes (ingress-nginx's default is 1 MB)", () => {
  const annotations = one(overlay, "Ingress")["metadata"]["annotations"] as Record<string, string>;
  const size = /^(\d+)m$/.exec(annotations["nginx.ingress.kubernetes.io/proxy-body-size"] ?? "");
  expect(size).not.toBeNull();
  expect(Number(size?.[1]) * 1024 * 1024).toBeGreaterThanOrEqual(MAX_BODY_BYTES);
});

test("the pods run locked down: non-root, no privilege escalation, read-only root, no capabilities", () => {
  const pod = podSpec(overlay);
  expect(pod["securityContext"]).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
  expect(containerOf(overlay)["securityContext"]).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } });
  const { requests, limits } = containerOf(overlay)["resources"];
  expect(requests).toEqual({ cpu: expect.any(String), memory: expect.any(String) });
  expect(limits).toEqual({ memory: expect.any(String) });
  // The graceful shutdown has time to finish: Kubernetes' grace period outlasts the preStop pause
  // plus the time the app gives its jobs under way after SIGTERM (its configuration's, when it has one).
  const pause = Number((containerOf(overlay)["lifecycle"]["preStop"]["exec"]["command"] as string[])[1]);
  const settings = Object.fromEntries([...variablesOf(overlay)].filter(([, v]) => typeof v["value"] === "string").map(([k, v]) => [k, v["value"] as string]));
  const appGraceMs = (loadConfig(settings) as { shutdownGraceMs?: number }).shutdownGraceMs ?? 0;
  expect(pod["terminationGracePeriodSeconds"]).toBeGreaterThanOrEqual(pause + appGraceMs / 1000 + 10);
});

test("names read in source text: env.X, env[\"X\"], process.env.X and Probot's envWithDefaults.X", () => {
  expect([...variablesInSource('a = env.PORT; b = env["HOST"]; c = process.env.REDIS_URL; d = envWithDefaults.LOG_LEVEL; e = environment.NOPE')].sort()).toEqual([
    "HOST",
    "LOG_LEVEL",
    "PORT",
    "REDIS_URL",
  ]);
});
