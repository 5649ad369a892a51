// Entry point of the compliance-gate command line: the registry of commands, and the dispatch
// that parses a command's flags, prints help and usage mistakes, and returns its exit code.
import { parseArgs } from "node:util";
import { EXIT_OK, EXIT_USAGE, UsageError, type Command, type Io } from "./command.js";
import { validateCommand } from "./validate.js";
import { simulateCommand } from "./simulate.js";
import { testCommand } from "./policy-test.js";
import { explainCommand } from "./explain.js";
import { enforceCommand } from "./enforce.js";
import { auditVerifyCommand } from "./audit-verify.js";
import { auditExportCommand } from "./audit-export.js";
import { auditTraceCommand } from "./audit-trace.js";

/** A command made of subcommands (`audit verify`): the word after its name picks one. */
interface CommandGroup {
  name: string;
  help: string;
  commands: readonly Command[];
}

/** Every command, in the order the usage lists them. */
const REGISTRY: ReadonlyArray<Command | CommandGroup> = [
  validateCommand,
  simulateCommand,
  testCommand,
  explainCommand,
  enforceCommand,
  // `audit --help` prints verify's help, which introduces both subcommands.
  { name: "audit", help: auditVerifyCommand.help, commands: [auditVerifyCommand, auditExportCommand, auditTraceCommand] },
];

const isGroup = (entry: Command | CommandGroup): entry is CommandGroup => "commands" in entry;

/** Where the summaries of the list of commands start; a longer synopsis gets a line of its own. */
const SUMMARY_COLUMN = 38;

function usageEntry(command: Command): string {
  const indent = " ".repeat(SUMMARY_COLUMN);
  const [first, ...more] = command.summary.split("\n");
  const synopsis = `  ${command.synopsis}`;
  const head = synopsis.length + 2 <= SUMMARY_COLUMN ? `${synopsis.padEnd(SUMMARY_COLUMN)}${first}` : `${synopsis}\n${indent}${first}`;
  return [head, ...more.map((line) => `${indent}${line}`)].join("\n");
}

const USAGE = `Usage: compliance-gate <command> [options]

Commands:
${REGISTRY.flatMap((entry) => (isGroup(entry) ? entry.commands : [entry])).map(usageEntry).join("\n")}

Run 'compliance-gate <command> --help' for a command's options.
Exit codes: 0 ok, 1 the checked thing failed, 2 usage error or unreadable input.
`;

/** Whether `arg` asks for help instead of naming a command; absent, the usage goes to stderr as a mistake. */
const asksForHelp = (arg: string | undefined): boolean => arg === undefined || arg === "--help" || arg === "-h" || arg === "help";

/** Prints `help` for a bare `compliance-gate [group]` (a mistake: stderr, exit 2) or its --help (stdout, exit 0). */
function printHelp(io: Io, help: string, arg: string | undefined): number {
  (arg === undefined ? io.stderr : io.stdout).write(help);
  return arg === undefined ? EXIT_USAGE : EXIT_OK;
}

/** Runs the command line `argv` (without node and script) and resolves to the exit code. */
export async function main(argv: string[], io: Io): Promise<number> {
  const [name, ...rest] = argv;
  if (asksForHelp(name)) return printHelp(io, USAGE, name);
  const entry = REGISTRY.find((e) => e.name === name);
  if (!entry) {
    io.stderr.write(`compliance-gate: unknown command '${name as string}'\n\n${USAGE}`);
    return EXIT_USAGE;
  }
  if (!isGroup(entry)) return runCommand(entry, rest, io);
  const [sub, ...subRest] = rest;
  if (asksForHelp(sub)) return printHelp(io, entry.help, sub);
  const command = entry.commands.find((c) => c.name === `${entry.name} ${sub as string}`);
  if (!command) {
    io.stderr.write(`compliance-gate ${entry.name}: unknown subcommand '${sub as string}'\n\n${entry.help}`);
    return EXIT_USAGE;
  }
  return runCommand(command, subRest, io);
}

/** Parses `args` by the command's flags and runs it; a usage mistake prints the command's help and exits 2. */
async function runCommand(command: Command, args: string[], io: Io): Promise<number> {
  try {
    let parsed;
    try {
      const options = { help: { type: "boolean", short: "h" }, ...command.options } as const;
      parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
    } catch (error) {
      throw new UsageError(error instanceof Error ? error.message.split(". ")[0] ?? error.message : String(error));
    }
    if (parsed.values.help) {
      io.stdout.write(command.help);
      return EXIT_OK;
    }
    return await command.run(parsed, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`compliance-gate ${command.name}: ${error.message}\n\n${command.help}`);
      return EXIT_USAGE;
    }
    // A bug, not a user's mistake: say so in one line, never with a stack trace.
    const message = error instanceof Error ? error.message : String(error);
    io.stderr.write(`compliance-gate ${command.name}: internal error: ${message}\n`);
    return EXIT_USAGE;
  }
}
