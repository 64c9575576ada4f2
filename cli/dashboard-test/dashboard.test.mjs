// The deploygov dashboard in a real headless Chromium (Debian's /usr/bin/chromium driven by
// playwright-core): seed a database with `deploygov demo`, start `deploygov serve` on a free port,
// check the overview, click into a deployment, check its detail, and save screenshots under
// target/dashboard-test/. Run by cli/test.sh; DEPLOYGOV_BIN names the built binary.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../..");
const bin = process.env.DEPLOYGOV_BIN || path.join(root, "target/debug/deploygov");
const shots = path.join(root, "target/dashboard-test");

/** Starts the server on a free port (`--port 0`) and resolves with its URL from the first line. */
function serve(db) {
  const child = spawn(bin, ["serve", "--db", db, "--project", "japm", "--port", "0"], { stdio: ["ignore", "pipe", "inherit"] });
  const url = new Promise((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (chunk) => {
      out += chunk;
      const m = out.match(/http:\/\/[^\s]+\//);
      if (m && out.includes("\n")) resolve(m[0]);
    });
    child.on("exit", (code) => reject(new Error(`deploygov serve exited with ${code}: ${out}`)));
    setTimeout(() => reject(new Error("deploygov serve printed no URL within 10 s")), 10_000).unref();
  });
  return { child, url };
}

test("dashboard shows environments, live versions, approvals, timeline and a deployment's detail", async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), "deploygov-dashboard-"));
  const db = path.join(dir, "demo.db");
  const seeded = JSON.parse(execFileSync(bin, ["demo", "--db", db, "--json"], { encoding: "utf8" }));
  const server = serve(db);
  const stop = () => server.child.exitCode === null && server.child.kill();
  process.on("exit", stop);
  let browser;
  t.after(async () => {
    if (browser) await browser.close();
    stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const url = await server.url;
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/$/);

  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking"],
  });
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(url);
  await page.waitForSelector(".card.env");

  // Header: audit status and the no-login / localhost notice.
  assert.match(await page.textContent("#audit"), /^verified, \d+ entries$/);
  const notice = await page.textContent("#notice");
  assert.match(notice, /no login/);
  assert.match(notice, /bound to 127\.0\.0\.1:\d+, so only this machine can open it/);

  // Environments, in order, with what is live and since when.
  assert.deepEqual(await page.$$eval(".card.env", (cards) => cards.map((c) => c.dataset.env)), ["development", "staging", "production"]);
  const production = page.locator('.card.env[data-env="production"]');
  const prodText = await production.textContent();
  assert.match(prodText, /prompt_version\/chatbot/);
  assert.match(prodText, /2 approval\(s\) from admin\/tenant_admin/);
  assert.deepEqual((await production.locator(".live-version").allTextContents()).sort(), ["1.1.0", "2.0.0"]);
  assert.match(prodText, /live since.*\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}/s, "live since");
  assert.match(await page.locator('.card.env[data-env="staging"]').textContent(), /nothing live/);

  // Pending approvals with granted vs required per rule.
  const pending = page.locator('.card.env[data-env="staging"] .pending');
  assert.equal(await pending.count(), 1);
  assert.match(await pending.textContent(), /promotion of dev-1 to staging.*0 of 1 for rule lead/s);

  // The timeline: one dot per deployment, colored by outcome.
  assert.equal(await page.locator("#timeline-svg circle").count(), 6);
  assert.equal(await page.locator("#timeline-svg circle.tl-failed").count(), 1);
  assert.equal(await page.locator("#timeline-svg circle.tl-rollback").count(), 1);
  assert.doesNotMatch(await page.innerText("#main"), /\bnull\b|\bundefined\b|NaN/);
  mkdirSync(shots, { recursive: true });
  await page.screenshot({ path: path.join(shots, "overview.png"), fullPage: true });

  // Click into the failed release and check its detail.
  await page.locator("#recent a.deployment-link", { hasText: "release-3" }).click();
  await page.waitForSelector("#deployment-title");
  assert.equal(new URL(page.url()).pathname, `/deployments/${seeded.deployments.release_3}`);
  assert.match(await page.textContent("#deployment-title"), /release-3\s*failed/);
  const items = await page.textContent("#items");
  assert.match(items, /ai_model\/gpt-x.*1\.0\.0.*failed.*model endpoint returned 503/s);
  assert.match(items, /prompt_version\/chatbot.*reverted/s);
  const approvals = await page.textContent("#approvals");
  assert.match(approvals, /2 of 2 for rule admins/);
  assert.match(approvals, /bob.*carol/s);
  const audit = await page.textContent("#audit-entries");
  for (const action of ["deployment.requested", "deployment.approval_granted", "deployment.started", "deployment.failed"]) {
    assert.ok(audit.includes(action), `audit entries show ${action}`);
  }
  assert.match(await page.textContent("#logs"), /no log lines/);

  // release-2 ran through the pipeline: its stage logs are on its page.
  await page.click("text=← all environments");
  await page.locator("#recent a.deployment-link", { hasText: /^release-2$/ }).click();
  await page.waitForSelector("#deployment-title");
  assert.match(await page.textContent("#deployment-title"), /release-2\s*rolled back/);
  const logs = await page.textContent("#logs");
  assert.match(logs, /deploy\s+switching prompt chatbot to 1\.2\.0/);
  assert.match(logs, /verify\s+smoke test: 20 of 20 answers ok/);
  assert.match(await page.textContent("#audit-entries"), /deployment\.rolled_back/);
  assert.doesNotMatch(await page.innerText("#main"), /\bnull\b|\bundefined\b|NaN/);
  await page.screenshot({ path: path.join(shots, "deployment.png"), fullPage: true });

  // Back to the overview through the link.
  await page.click("text=← all environments");
  await page.waitForSelector(".card.env");
  assert.deepEqual(errors, [], "no script errors on the page");
});
