// A run's check runs are written only while it holds its key: a replica that stalled past its lease
// (another may be evaluating the PR now, with newer facts) must not post its older verdict on top.
import type { CheckSink, Ports } from "../ports.js";
import { HELD, type Lease } from "./jobs.js";

/** `ports` whose CheckSink asks the lease before every post (LeaseLost when it was lost). */
export function fencedPorts(ports: Ports, lease: Lease): Ports {
  if (lease === HELD) return ports;
  const checks = ports.checks;
  const post: CheckSink["post"] = async (target, check, options) => {
    await lease.assertHeld();
    return checks.post(target, check, options);
  };
  // A Proxy, so that whatever else the sink offers (now or later) goes through unchanged.
  const fenced = new Proxy(checks, {
    get(target, property) {
      if (property === "post") return post;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { ...ports, checks: fenced, requests: () => ports.requests() };
}
