import { main } from "../src/cli/main.js";
import { PassThrough } from "node:stream";

test("cli runs", async () => {
  const out = new PassThrough();
  const code = await main([], { stdout: out, stderr: new PassThrough(), stdin: new PassThrough() });
  expect(code).toBe(0);
  expect(out.read().toString()).toContain("compliance-gate");
});
