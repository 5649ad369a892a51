// Who this app is on GitHub: its bot login, so that what it wrote (audit comments, exception
// issues, deployments) is told apart from anything anyone else wrote that looks the same.
import { botLogin } from "../audit/writer.js";
import { GitHubError, GitHubSession, type GitHubClient } from "./client.js";

/** Learns this app's bot login once per process (GET /app, as the app: an installation token cannot ask). */
export class AppIdentity {
  private login: string | undefined;
  private id: number | undefined;
  private pending: Promise<string> | undefined;

  /** @param appClient an Octokit authenticated as the app itself (Probot's `app.auth()`). */
  constructor(private readonly appClient: () => Promise<GitHubClient>) {}

  /** `<slug>[bot]`; throws GitHubError when GitHub cannot say (the caller cannot tell its own writing then). */
  async botLogin(): Promise<string> {
    if (this.login !== undefined) return this.login;
    this.pending ??= this.learn().finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  /** This app's id (the source its required checks are pinned to); throws GitHubError when GitHub cannot say. */
  async appId(): Promise<number> {
    if (this.id === undefined) await this.botLogin();
    if (this.id === undefined) throw new GitHubError("GitHub returned no id for this app");
    return this.id;
  }

  private async learn(): Promise<string> {
    let client: GitHubClient;
    try {
      client = await this.appClient();
    } catch (error) {
      throw new GitHubError(`cannot authenticate as the app to learn its name: ${error instanceof Error ? error.message : String(error)}`);
    }
    const response = await new GitHubSession(client).request("GET /app", {}, "reading this app's name");
    const { slug, id } = (response.data as { slug?: unknown; id?: unknown } | undefined) ?? {};
    if (typeof id === "number") this.id = id;
    if (typeof slug !== "string" || slug === "") throw new GitHubError("GitHub returned no slug for this app");
    this.login = botLogin(slug);
    return this.login;
  }
}
