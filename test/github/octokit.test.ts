// The Octokit the app's Probot is built with: Probot's throttling is off (the app's pacer keeps
// GitHub's limits, per installation and across replicas), so it does not hold writes a second
// apart one after another behind it.
import { generateKeyPairSync } from "node:crypto";
import nock from "nock";
import pino from "pino";
import { Probot, ProbotOctokit } from "probot";
import { GateOctokit } from "../../src/github/octokit.js";

const API = "https://api.github.com";
const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048, privateKeyEncoding: { type: "pkcs8", format: "pem" }, publicKeyEncoding: { type: "spki", format: "pem" } });

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

/** How many check-run POSTs of one installation were in flight at once, two sent together. */
async function writesInFlight(Octokit: typeof ProbotOctokit): Promise<number> {
  let inFlight = 0;
  let most = 0;
  nock(API).persist().post("/app/installations/1/access_tokens").reply(201, { token: "t", expires_at: "2099-01-01T00:00:00Z", permissions: {}, repository_selection: "all" });
  nock(API)
    .persist()
    .post("/repos/acme/gitops/check-runs")
    .reply(201, async () => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      // Answered once both could have arrived: a throttle holding the second back shows as one at a time.
      await new Promise((r) => setTimeout(r, 100));
      inFlight -= 1;
      return { id: 1 };
    });
  const probot = new Probot({ appId: 1, privateKey, Octokit: Octokit.defaults((o: Record<string, unknown>) => ({ ...o, retry: { enabled: false } })), log: pino({ level: "silent" }) });
  let auth: ((id: number) => Promise<{ request: (route: string, p: Record<string, unknown>) => Promise<unknown> }>) | undefined;
  await probot.load((app) => {
    auth = (id) => app.auth(id) as never;
  });
  const client = await (auth as NonNullable<typeof auth>)(1);
  await Promise.all([1, 2].map(() => client.request("POST /repos/{owner}/{repo}/check-runs", { owner: "acme", repo: "gitops", name: "x", head_sha: "a".repeat(40) })));
  return most;
}

test("Probot's own Octokit holds a second write until the first is answered; the app's does not", async () => {
  expect(await writesInFlight(ProbotOctokit)).toBe(1);
  nock.cleanAll();
  expect(await writesInFlight(GateOctokit)).toBe(2);
});
