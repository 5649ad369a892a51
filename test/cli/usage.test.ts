// The list of commands is generated from main's registry: it must read exactly as written by hand,
// and every command it lists must answer --help with its own help.
import { run } from "./run.js";

const USAGE = `Usage: compliance-gate <command> [options]

Commands:
  validate [DIR]                      check every policy file in DIR (default: policies)
  simulate --policies DIR CHANGE      decide a described change (YAML/JSON file, or - for stdin)
  test [DIR]                          run the policy tests in DIR/tests/*.yml (default: policies)
  explain --repo OWNER/NAME --pr N    show the checks the app would post on a pull request (GITHUB_TOKEN)
  enforce --repo OWNER/NAME --app-id N [--apply]
                                      plan (or --apply) the required checks the policies want (GITHUB_TOKEN)
  audit verify [--public-key FILE] FILE|-
                                      check the digest (and signature) of audit records: a record,
                                      an audit comment or a JSONL export
  audit export --repo OWNER/NAME [--since DATE] [--until DATE] [--format jsonl|csv]
                                      list every merged PR and direct push of a period that reached
                                      an environment, with its audit record or marked missing (GITHUB_TOKEN)
  audit trace --repo OWNER/NAME --env ENV --app-login LOGIN [--sha SHA]
                                      print an environment's approval chain up to a revision, and what
                                      is missing (GITHUB_TOKEN)

Run 'compliance-gate <command> --help' for a command's options.
Exit codes: 0 ok, 1 the checked thing failed, 2 usage error or unreadable input.
`;

test("--help prints the list of commands, laid out in columns", async () => {
  const r = await run(["--help"]);
  expect(r.stdout).toBe(USAGE);
  expect(r.code).toBe(0);
});

test("an unknown command prints the same list on stderr", async () => {
  const r = await run(["deploy"]);
  expect(r.stderr).toBe(`compliance-gate: unknown command 'deploy'\n\n${USAGE}`);
  expect(r.code).toBe(2);
});

const listed = [...USAGE.matchAll(/^ {2}(\w+(?: (?:verify|export|trace))?)/gm)].map((m) => m[1] as string);

test("the list names the eight commands", () => {
  expect(listed).toEqual(["validate", "simulate", "test", "explain", "enforce", "audit verify", "audit export", "audit trace"]);
});

test.each(listed)("%s --help and -h print its help, which starts with its usage", async (name) => {
  const long = await run([...name.split(" "), "--help"]);
  const short = await run([...name.split(" "), "-h"]);
  expect(long.stdout).toMatch(new RegExp(`^Usage: compliance-gate ${name} `, "m"));
  expect(short.stdout).toBe(long.stdout);
  expect(long.code).toBe(0);
});

test("audit alone prints, as a mistake, the help of audit verify, which introduces both subcommands", async () => {
  const verify = await run(["audit", "verify", "--help"]);
  const alone = await run(["audit"]);
  expect(alone.stderr).toBe(verify.stdout);
  expect(alone.stderr).toContain("compliance-gate audit export --repo OWNER/NAME");
  expect(alone.code).toBe(2);
  const help = await run(["audit", "--help"]);
  expect(help.stdout).toBe(verify.stdout);
  expect(help.code).toBe(0);
});

test("a usage mistake in a subcommand names it and prints its help", async () => {
  const r = await run(["audit", "export", "--repo", "acme"]);
  const help = await run(["audit", "export", "--help"]);
  expect(r.stderr).toBe(`compliance-gate audit export: --repo must be OWNER/NAME, such as acme/gitops (got 'acme')\n\n${help.stdout}`);
  expect(r.code).toBe(2);
});
