// A headless chromium (Debian's, /usr/bin/chromium) that pytest drives: one JSON command a
// line on stdin, one JSON answer a line on stdout ({"ok": true, "value": ...} or
// {"ok": false, "error": "..."}). playwright-core cannot download a browser here: it drives
// the system's. See tests/browser/conftest.py for the commands' Python side.
import { createInterface } from "node:readline";
import { chromium } from "playwright-core";

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox"],
  headless: true,
});
const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 });
const page = await context.newPage();
const problems = []; // console errors and uncaught exceptions of the page
page.on("console", (msg) => {
  // a 4xx/5xx answer is logged as "Failed to load resource": the tests check those themselves
  if (msg.type() === "error" && !msg.text().startsWith("Failed to load resource")) problems.push(`console: ${msg.text()}`);
});
page.on("pageerror", (err) => problems.push(`exception: ${err.message}`));

const commands = {
  goto: ({ url }) => page.goto(url, { waitUntil: "load" }).then(() => null),
  viewport: ({ width, height }) => page.setViewportSize({ width, height }),
  // evaluate a function's source with one argument
  eval: ({ fn, arg }) => page.evaluate(`(${fn})(${JSON.stringify(arg ?? null)})`),
  // poll a function's source every 50 ms until it returns a truthy value; returns that value
  // (evaluated from outside, as page.evaluate does: waitForFunction's in-page eval would be
  // refused by the page's Content-Security-Policy)
  wait: async ({ fn, arg, timeout }) => {
    const deadline = Date.now() + (timeout ?? 5000);
    const source = `(${fn})(${JSON.stringify(arg ?? null)})`;
    let last;
    for (;;) {
      last = await page.evaluate(source);
      if (last) return last;
      if (Date.now() > deadline) throw new Error(`not within ${timeout} ms: ${fn} (last: ${JSON.stringify(last)})`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  },
  click: ({ selector }) => page.click(selector),
  fill: ({ selector, value }) => page.fill(selector, value),
  select: ({ selector, value }) => page.selectOption(selector, value).then(() => null),
  screenshot: ({ path, fullPage }) => page.screenshot({ path, fullPage: !!fullPage }).then(() => null),
  problems: () => problems.splice(0),
};

const lines = createInterface({ input: process.stdin });
for await (const line of lines) {
  const command = JSON.parse(line);
  if (command.op === "close") break;
  let answer;
  try {
    const value = await commands[command.op](command);
    answer = { ok: true, value: value ?? null };
  } catch (err) {
    answer = { ok: false, error: String(err && err.message ? err.message : err) };
  }
  process.stdout.write(JSON.stringify(answer) + "\n");
}
await browser.close();
process.exit(0); // stdin, still open on the Python side, would keep node alive
