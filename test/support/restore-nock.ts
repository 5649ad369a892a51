// Every test file ends with nock's interception of node:http undone. Jest runs the files of a worker
// in one process, sharing node:http, and each file that imports nock wraps its client once more and
// never unwraps it: a later file's own HTTP client (the app's warm-up, say) went through every
// layer, half torn down by Jest between files. Here the file's own nock (imported now if it had
// none, which patches nothing that stays) is restored.
afterAll(async () => {
  const { default: nock } = await import("nock");
  nock.restore();
});
