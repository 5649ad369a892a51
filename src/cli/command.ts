// What every compliance-gate command is made of, and what it runs with: Io, exit codes, UsageError.
// Imports nothing from cli/, so command modules and main depend on it and never on each other.
import type { ParseArgsConfig } from "node:util";
import type { Readable, Writable } from "node:stream";

/** Where a command reads and writes; the bin passes the process's streams, tests pass their own. */
export interface Io {
  stdout: Writable;
  stderr: Writable;
  stdin: Readable;
  /** Evaluation time for commands whose input does not give one (tests pin it). */
  now?: () => number;
  /** Environment variables (GITHUB_TOKEN, GITHUB_API_URL); default `process.env`. */
  env?: NodeJS.ProcessEnv;
}

/** Exit codes of SPEC §6: 0 ok, 1 the checked thing failed, 2 usage error or unreadable input. */
export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

/** Thrown for a usage mistake; main prints it with the command's help and exits 2. */
export class UsageError extends Error {}

/** A command's flags, as node:util's parseArgs takes them. */
export type Options = NonNullable<ParseArgsConfig["options"]>;

/** The command line after the command's name, as parseArgs split it. */
interface ParsedArgs {
  values: Record<string, unknown>;
  positionals: string[];
}

/** One command: what it is called, how it is documented, its flags, and what it does. */
export interface Command {
  /** As typed after `compliance-gate`: `validate`, or `audit verify` for a subcommand. */
  name: string;
  /** How the list of commands shows its arguments: `validate [DIR]`. */
  synopsis: string;
  /** What it does, for the list of commands: one line, or a few already broken where it is long. */
  summary: string;
  /** What `--help` prints, and what follows a usage mistake. */
  help: string;
  /** Its flags; every command also takes --help (-h). */
  options: Options;
  /** Checks the parsed command line (a mistake throws UsageError) and runs; resolves to the exit code. */
  run(parsed: ParsedArgs, io: Io): Promise<number>;
}
