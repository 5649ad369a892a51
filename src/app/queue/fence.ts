// A run's check runs are written only while it holds its key: a replica that stalled past its lease
// (another may be evaluating the PR now, with newer facts) must not post its older verdict on top.
import { guardingWrites, WriteRefused } from "../../github/write-guard.js";
import type { CheckSink, Ports } from "../ports.js";
import { HELD, type Lease } from "./jobs.js";

/**
 * `ports` whose CheckSink asks the lease before every post, and again once the pacer admits the
 * post's write, just before it is sent (the pacer may hold it for seconds while the installation's
 * budget is spent: long enough for the lease to be lost). LeaseLost when it was lost.
 */
export function fencedPorts(ports: Ports, lease: Lease): Ports {
  if (lease === HELD) return ports;
  const checks = ports.checks;
  const post: CheckSink["post"] = async (target, check, options) => {
    // Asked first too: a run that lost its key spends none of the installation's budget.
    await lease.assertHeld();
    try {
      return await guardingWrites(() => lease.assertHeld(), () => checks.post(target, check, options));
    } catch (error) {
      // What the lease threw (LeaseLost), as a post refused before the pacer threw it.
      throw error instanceof WriteRefused ? error.reason : error;
    }
  };
  // A Proxy, so that whatever else the sink offers (now or later) goes through unchanged.
  const fenced = new Proxy(checks, {
    get(target, property) {
      if (property === "post") return post;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { ...ports, checks: fenced, requests: () => ports.requests(), held: () => lease.assertHeld() };
}
