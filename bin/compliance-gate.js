#!/usr/bin/env node
// The compliance-gate command: runs the compiled CLI in lib/ (npm run build makes it).
import { main } from "../lib/cli/main.js";

main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin })
  .then((code) => { process.exitCode = code; });
