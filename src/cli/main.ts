// Entry point of the compliance-gate command line: parses arguments and dispatches to a command.
import { parseArgs, type ParseArgsConfig } from "node:util";
import { EXIT_OK, EXIT_USAGE, UsageError, type Io } from "./command.js";
import { COMMAND_HELP, USAGE } from "./usage.js";
import { runValidate } from "./validate.js";
import { runSimulate } from "./simulate.js";
import { runPolicyTests } from "./policy-test.js";
import { parseExplainArgs, runExplain } from "./explain.js";
import { parseAuditVerifyArgs, runAuditVerify } from "./audit-verify.js";
import { parseAuditExportArgs, runAuditExport } from "./audit-export.js";

type Options = NonNullable<ParseArgsConfig["options"]>;

interface Command {
  options: Options;
  run(values: Record<string, unknown>, positionals: string[], io: Io): Promise<number>;
}

/** A command made of subcommands (`audit verify`): the first argument names one. */
interface CommandGroup {
  subcommands: Record<string, Command>;
}

const isGroup = (c: Command | CommandGroup): c is CommandGroup => "subcommands" in c;

const help = { help: { type: "boolean", short: "h" } } as const;

const COMMANDS: Record<string, Command | CommandGroup> = {
  validate: {
    options: { ...help },
    run: (_v, pos, io) => {
      if (pos.length > 1) throw new UsageError("validate takes at most one directory");
      return runValidate(pos[0] ?? "policies", io);
    },
  },
  simulate: {
    options: { ...help, policies: { type: "string" } },
    run: (v, pos, io) => {
      if (typeof v.policies !== "string") throw new UsageError("simulate needs --policies DIR");
      if (pos.length !== 1) throw new UsageError("simulate needs exactly one CHANGE file (or - for stdin)");
      return runSimulate(v.policies, pos[0] as string, io);
    },
  },
  test: {
    options: { ...help },
    run: (_v, pos, io) => {
      if (pos.length > 1) throw new UsageError("test takes at most one directory");
      return runPolicyTests(pos[0] ?? "policies", io);
    },
  },
  explain: {
    options: { ...help, repo: { type: "string" }, pr: { type: "string" }, json: { type: "boolean" }, "api-url": { type: "string" } },
    run: (v, pos, io) => {
      if (pos.length > 0) throw new UsageError(`explain takes no arguments besides its options (got '${pos[0] as string}')`);
      return runExplain(parseExplainArgs(v), io);
    },
  },
  audit: {
    subcommands: {
      verify: {
        options: { ...help, "public-key": { type: "string" } },
        run: (v, pos, io) => runAuditVerify(parseAuditVerifyArgs(v, pos), io),
      },
      export: {
        options: {
          ...help,
          repo: { type: "string" },
          since: { type: "string" },
          until: { type: "string" },
          format: { type: "string" },
          "public-key": { type: "string" },
          "app-login": { type: "string" },
          "api-url": { type: "string" },
          output: { type: "string", short: "o" },
          "skip-pushes": { type: "boolean" },
          quiet: { type: "boolean", short: "q" },
        },
        run: (v, pos, io) => runAuditExport(parseAuditExportArgs(v, pos, (io.now ?? Date.now)()), io),
      },
    },
  },
};

/** Runs the command line `argv` (without node and script) and resolves to the exit code. */
export async function main(argv: string[], io: Io): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    (name === undefined ? io.stderr : io.stdout).write(USAGE);
    return name === undefined ? EXIT_USAGE : EXIT_OK;
  }
  const entry = COMMANDS[name];
  if (!entry) {
    io.stderr.write(`compliance-gate: unknown command '${name}'\n\n${USAGE}`);
    return EXIT_USAGE;
  }
  let command: Command;
  let args = rest;
  let label = name;
  if (isGroup(entry)) {
    const [sub, ...subRest] = rest;
    const groupHelp = COMMAND_HELP[name] ?? USAGE;
    if (sub === undefined || sub === "--help" || sub === "-h" || sub === "help") {
      (sub === undefined ? io.stderr : io.stdout).write(groupHelp);
      return sub === undefined ? EXIT_USAGE : EXIT_OK;
    }
    const found = entry.subcommands[sub];
    if (!found) {
      io.stderr.write(`compliance-gate ${name}: unknown subcommand '${sub}'\n\n${groupHelp}`);
      return EXIT_USAGE;
    }
    command = found;
    args = subRest;
    label = `${name} ${sub}`;
  } else {
    command = entry;
  }
  const commandHelp = COMMAND_HELP[label] ?? COMMAND_HELP[name] ?? USAGE;
  try {
    let parsed;
    try {
      parsed = parseArgs({ args, options: command.options, allowPositionals: true, strict: true });
    } catch (error) {
      throw new UsageError(error instanceof Error ? error.message.split(". ")[0] ?? error.message : String(error));
    }
    if (parsed.values.help) {
      io.stdout.write(commandHelp);
      return EXIT_OK;
    }
    return await command.run(parsed.values, parsed.positionals, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`compliance-gate ${label}: ${error.message}\n\n${commandHelp}`);
      return EXIT_USAGE;
    }
    // A bug, not a user's mistake: say so in one line, never with a stack trace.
    const message = error instanceof Error ? error.message : String(error);
    io.stderr.write(`compliance-gate ${label}: internal error: ${message}\n`);
    return EXIT_USAGE;
  }
}
