// Reading who wrote commits: Co-authored-by trailers, noreply addresses, and the bounds a hostile message meets.
import {
  coAuthorsOf,
  commitIdentities,
  MAX_ADDRESS_LOGINS,
  MAX_CO_AUTHORS,
  MAX_IDENTITY_CHARS,
  MAX_MESSAGE_SCAN,
  MAX_UNLINKED,
  noreplyLogin,
  type ApiCommit,
} from "../../src/github/commit-identities.js";

const linked = (sha: string, login: string, email = `${login}@acme.example`, message = "change"): ApiCommit => ({
  sha,
  author: { login },
  committer: { login },
  commit: { author: { name: login, email }, committer: { name: login, email }, message },
});

describe("noreplyLogin", () => {
  test.each([
    ["583231+alice@users.noreply.github.com", "alice"],
    ["alice@users.noreply.github.com", "alice"],
    ["41898282+github-actions[bot]@users.noreply.github.com", "github-actions[bot]"],
    ["  12+Alice-B@Users.NoReply.GitHub.com ", "Alice-B"],
  ])("%s is %s", (email, login) => {
    expect(noreplyLogin(email)).toBe(login);
  });

  test.each(["alice@acme.example", "alice@users.noreply.github.com.evil.example", "12+@users.noreply.github.com", "alice@noreply.ghe.acme.example", ""])(
    "%s is no noreply address",
    (email) => {
      expect(noreplyLogin(email)).toBeNull();
    },
  );
});

describe("coAuthorsOf", () => {
  test("reads trailers on any line, any case, any line ending", () => {
    const message = "Co-authored-by: Alice <1+alice@users.noreply.github.com>\r\n\r\nBody\rCO-AUTHORED-BY:Bob <bob@x.example>\n  co-authored-by: just a name  ";
    expect(coAuthorsOf(message)).toEqual({
      coAuthors: [
        { name: "Alice", email: "1+alice@users.noreply.github.com" },
        { name: "Bob", email: "bob@x.example" },
        { name: "just a name", email: "" },
      ],
      overflow: null,
    });
  });

  test("reads a trailer with whitespace before its colon, as git does", () => {
    expect(coAuthorsOf("fix\n\nCo-authored-by : Mallory <7+mallory@users.noreply.github.com>\nco-authored-by\t: Bob <bob@x.example>")).toEqual({
      coAuthors: [
        { name: "Mallory", email: "7+mallory@users.noreply.github.com" },
        { name: "Bob", email: "bob@x.example" },
      ],
      overflow: null,
    });
  });

  test(`reads at most ${MAX_CO_AUTHORS} trailers, and says there were more`, () => {
    const message = Array.from({ length: MAX_CO_AUTHORS + 5 }, (_, i) => `Co-authored-by: P${i} <${i}+p${i}@users.noreply.github.com>`).join("\n");
    const read = coAuthorsOf(message);
    expect(read.coAuthors).toHaveLength(MAX_CO_AUTHORS);
    expect(read.overflow).toBe(`co-authors past the ${MAX_CO_AUTHORS}th Co-authored-by trailer`);
  });

  test("searches only the first 64 KiB of a message, and says a longer one may hide co-authors", () => {
    const message = `x${"a".repeat(MAX_MESSAGE_SCAN)}\nCo-authored-by: Hidden <9+hidden@users.noreply.github.com>`;
    expect(coAuthorsOf(message)).toEqual({ coAuthors: [], overflow: "co-authors past the first 64 KiB of the message" });
  });
});

describe("commitIdentities", () => {
  test("the PR author comes first; logins compare case-insensitively; web-flow is nobody", () => {
    const commits = [linked("c1", "Dave"), { ...linked("c2", "dave"), committer: { login: "web-flow" } }];
    expect(commitIdentities(commits, "carol")).toEqual({ contributors: ["carol", "Dave"], unlinked: [] });
  });

  describe("GitHub itself (web-flow, noreply@github.com) is nobody only as a committer", () => {
    const GITHUB = { name: "GitHub", email: "noreply@github.com" };
    const WEB_FLOW = { login: "web-flow" };

    test("a web edit: its author is the user, GitHub its committer; nobody unlinked", () => {
      const edit: ApiCommit = { sha: "c1", author: { login: "alice" }, committer: WEB_FLOW, commit: { author: { name: "Alice", email: "1+alice@users.noreply.github.com" }, committer: GITHUB } };
      expect(commitIdentities([edit], "bob")).toEqual({ contributors: ["bob", "alice"], unlinked: [] });
    });

    test("a committer written as GitHub's address that GitHub did not link is nobody too", () => {
      const merge: ApiCommit = { sha: "c1", author: { login: "alice" }, committer: null, commit: { author: { name: "Alice", email: "a@x.example" }, committer: GITHUB } };
      expect(commitIdentities([merge], "bob")).toEqual({ contributors: ["bob", "alice"], unlinked: [] });
    });

    // The attack: the approver writes the commit with GIT_AUTHOR_NAME=GitHub GIT_AUTHOR_EMAIL=noreply@github.com
    // (and the committer likewise). GitHub links that address to web-flow, or to nobody; either way the writer is hidden.
    test.each<[string, ApiCommit["author"]]>([
      ["linked to web-flow", WEB_FLOW],
      ["linked to nobody", null],
    ])("an author written as GitHub, %s, is unlinked", (_, account) => {
      const forged: ApiCommit = { sha: "f00dfeed", author: account, committer: account, commit: { author: GITHUB, committer: GITHUB, message: "tweak" } };
      expect(commitIdentities([forged], "bob")).toEqual({
        contributors: ["bob"],
        unlinked: [{ commit: "f00dfeed", role: "author", name: "GitHub", email: "noreply@github.com" }],
      });
    });

    test("an author GitHub links to web-flow whatever its e-mail says is unlinked, named as written", () => {
      const odd: ApiCommit = { sha: "c1", author: WEB_FLOW, committer: WEB_FLOW, commit: { author: { name: "", email: "" }, committer: GITHUB } };
      expect(commitIdentities([odd], "bob").unlinked).toEqual([{ commit: "c1", role: "author", name: "GitHub", email: "noreply@github.com" }]);
    });

    test("a co-author named with GitHub's address, or web-flow's noreply address, is unlinked, even when another commit links it", () => {
      const edit: ApiCommit = {
        sha: "c1",
        author: { login: "carol" },
        committer: WEB_FLOW,
        commit: { author: { name: "carol", email: "carol@acme.example" }, committer: GITHUB, message: "x\n\nCo-authored-by: GitHub <noreply@github.com>\nCo-authored-by: W <19864447+web-flow@users.noreply.github.com>" },
      };
      expect(commitIdentities([edit], "carol")).toEqual({
        contributors: ["carol"],
        unlinked: [
          { commit: "c1", role: "co-author", name: "GitHub", email: "noreply@github.com" },
          { commit: "c1", role: "co-author", name: "W", email: "19864447+web-flow@users.noreply.github.com" },
        ],
      });
    });
  });

  test("an author GitHub links to nobody stays unlinked even with a noreply address; its login is still a contributor", () => {
    const forged: ApiCommit = {
      sha: "c1",
      author: null,
      committer: { login: "mallory" },
      commit: { author: { name: "Alice", email: "1+alice@users.noreply.github.com" }, committer: { name: "Mallory", email: "m@x.example" } },
    };
    expect(commitIdentities([forged], "mallory")).toEqual({
      contributors: ["mallory", "alice"],
      unlinked: [{ commit: "c1", role: "author", name: "Alice", email: "1+alice@users.noreply.github.com" }],
    });
  });

  test("each unlinked identity once (by name and e-mail), with the first commit and role that carry it", () => {
    const laptop = (sha: string): ApiCommit => ({
      sha,
      author: null,
      committer: null,
      commit: {
        author: { name: "carol", email: "Carol@Laptop" },
        committer: { name: "Carol B.", email: "carol@laptop" },
        message: "Co-authored-by: Frank <frank@x.example>\nCo-authored-by: carol <carol@laptop>",
      },
    });
    expect(commitIdentities([laptop("c1"), laptop("c2")], "carol").unlinked).toEqual([
      { commit: "c1", role: "author", name: "carol", email: "Carol@Laptop" },
      { commit: "c1", role: "committer", name: "Carol B.", email: "carol@laptop" },
      { commit: "c1", role: "co-author", name: "Frank", email: "frank@x.example" },
    ]);
  });

  test("a co-author named with an e-mail GitHub links on another commit is that account", () => {
    const commits = [linked("c1", "carol", "carol@acme.example", "Co-authored-by: D <DAVE@acme.example>"), linked("c2", "dave")];
    expect(commitIdentities(commits, "carol")).toEqual({ contributors: ["carol", "dave"], unlinked: [] });
  });

  test("co-authors a bound hid are an unlinked identity of their commit: never silently dropped", () => {
    const message = `${"a".repeat(MAX_MESSAGE_SCAN + 1)}\nCo-authored-by: Hidden <9+hidden@users.noreply.github.com>`;
    expect(commitIdentities([linked("c1", "carol", undefined, message)], "carol").unlinked).toEqual([
      { commit: "c1", role: "co-author", name: "co-authors past the first 64 KiB of the message", email: "" },
    ]);
  });

  test("a missing git identity is unlinked too (nothing to tell who it was)", () => {
    const bare: ApiCommit = { sha: "c1", author: null, committer: { login: "carol" }, commit: { author: null, committer: null } };
    expect(commitIdentities([bare], "carol").unlinked).toEqual([{ commit: "c1", role: "author", name: "", email: "" }]);
  });

  describe("bounds on what hostile commits put in facts and records", () => {
    /** `n` commits, each with `perCommit` co-authors from `address(i, j)`. */
    const crowd = (n: number, perCommit: number, address: (i: number, j: number) => string): ApiCommit[] =>
      Array.from({ length: n }, (_, i) =>
        linked(`c${i}`, "carol", undefined, Array.from({ length: perCommit }, (_, j) => `Co-authored-by: P${i}.${j} <${address(i, j)}>`).join("\n")),
      );

    test(`at most ${MAX_ADDRESS_LOGINS} logins come from noreply addresses; the rest are unlinked, not dropped`, () => {
      const commits = crowd(10, 11, (i, j) => `${i * 100 + j}+p${i}x${j}@users.noreply.github.com`);
      const { contributors, unlinked } = commitIdentities(commits, "carol");
      expect(contributors).toHaveLength(1 + MAX_ADDRESS_LOGINS);
      expect(unlinked).toHaveLength(10);
      expect(unlinked[0]).toEqual({ commit: "c9", role: "co-author", name: "P9.1", email: "901+p9x1@users.noreply.github.com" });
    });

    test(`at most ${MAX_UNLINKED} unlinked identities are listed; one last entry counts the rest`, () => {
      const { unlinked } = commitIdentities(crowd(20, 4, (i, j) => `p${i}.${j}@laptop`), "carol");
      expect(unlinked).toHaveLength(MAX_UNLINKED + 1);
      expect(unlinked.at(-1)).toEqual({ commit: "c12", role: "co-author", name: "30 more identities linked to no GitHub account, not listed", email: "" });
    });

    test(`names and e-mails are cut to ${MAX_IDENTITY_CHARS} characters`, () => {
      const long: ApiCommit = {
        sha: "c1",
        author: null,
        committer: { login: "carol" },
        commit: { author: { name: "😀".repeat(1000), email: `${"a".repeat(10_000)}@x` }, committer: null },
      };
      const [identity] = commitIdentities([long], "carol").unlinked;
      expect(Array.from(identity?.name ?? "")).toHaveLength(MAX_IDENTITY_CHARS);
      expect(identity?.name.endsWith("😀…")).toBe(true);
      expect(identity?.email).toHaveLength(MAX_IDENTITY_CHARS);
    });
  });
});
