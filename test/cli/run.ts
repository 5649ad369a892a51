// Runs the CLI in-process with captured output, for CLI tests.
import { PassThrough } from "node:stream";
import { main } from "../../src/cli/main.js";

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `compliance-gate ...argv` with `stdin` as standard input, a pinned clock and, if given, these environment variables. */
export async function run(
  argv: string[],
  stdin = "",
  now = Date.parse("2026-12-01T10:00:00Z"),
  env?: NodeJS.ProcessEnv,
): Promise<Run> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const input = new PassThrough();
  input.end(stdin);
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on("data", (c: Buffer) => out.push(c));
  stderr.on("data", (c: Buffer) => err.push(c));
  const code = await main(argv, { stdout, stderr, stdin: input, now: () => now, ...(env ? { env } : {}) });
  return { code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() };
}
