// The app as `probot run ./lib/index.js` loads it: configuration from the environment, refused when bad.
import { Probot } from "probot";
import pino from "pino";
import compliance from "../../src/index.js";

const probot = (): Probot => new Probot({ githubToken: "test", log: pino({ level: "silent" }) });

test("loads with the default configuration", async () => {
  await expect(probot().load(compliance)).resolves.toBeUndefined();
});

test("a bad configuration variable stops it at startup, naming the variable", async () => {
  process.env["COMPLIANCE_CONCURRENCY"] = "lots";
  try {
    await expect(probot().load(compliance)).rejects.toThrow('COMPLIANCE_CONCURRENCY must be a whole number from 1 to 64, got "lots"');
  } finally {
    delete process.env["COMPLIANCE_CONCURRENCY"];
  }
});
