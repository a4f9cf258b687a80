#!/usr/bin/env node
// Checks the pairing the portal's browser tests (test/portal*.test.mjs) depend on, before they
// run (scripts/test.sh calls it): Debian's chromium, driven by playwright-core pinned in
// package.json. Debian's security updates move chromium's major version under a fixed pin, so
// this says which side moved and what to change, instead of a browser test failing obscurely.
//
//   node check-browser.mjs     exit 0: paired; 1: broken (the reason and the fix on stderr)
//
// Checks, in order: the browser exists (COFFER_CHROMIUM, default /usr/bin/chromium); the
// installed playwright-core is the pinned one; chromium's major version is one playwright-core
// can drive (see SUPPORTED_BEHIND); and chromium really launches headless, renders a page and
// runs its script. COFFER_ALLOW_CHROMIUM_MAJOR=<n> accepts a major outside the window once a
// person has seen the browser tests pass with it (the launch is still checked).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const CHROMIUM = process.env.COFFER_CHROMIUM || '/usr/bin/chromium';
// playwright-core is built and tested for one Chromium (its browsers.json) and also drives the
// Chrome stable and beta channels, which trail that build by up to two majors; Debian's stable
// chromium can trail stable Chrome by one more. Newer than the build is not known to work.
const SUPPORTED_BEHIND = 3;

function fail(what, ...fixes) {
  console.error(`check-browser: FAIL: ${what}`);
  for (const f of fixes) console.error(`  fix: ${f}`);
  process.exit(1);
}
const readJson = (file) => JSON.parse(fs.readFileSync(file, 'utf8'));

// 1. The browser.
if (!fs.existsSync(CHROMIUM)) {
  fail(`${CHROMIUM} does not exist, so the portal's browser tests cannot run.`,
    'bash scripts/deps.sh (it installs Debian\'s chromium), or apt-get install chromium');
}
let versionText;
try {
  // Debian's wrapper script prints a harmless shell error on stderr: only stdout is read.
  versionText = execFileSync(CHROMIUM, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 30_000 }).trim();
} catch (e) {
  fail(`${CHROMIUM} --version did not run (${e.message.split('\n')[0]}).`, 'reinstall it: apt-get install --reinstall chromium');
}
const found = /(\d+)\.\d+\.\d+\.\d+/.exec(versionText);
if (!found) fail(`${CHROMIUM} --version printed "${versionText}", which names no version.`, 'reinstall it: apt-get install --reinstall chromium');
const chromiumVersion = found[0];
const chromiumMajor = Number(found[1]);

// 2. playwright-core: installed, and the pinned version.
const pinned = readJson(path.join(here, 'package.json')).dependencies?.['playwright-core'];
const pwDir = path.join(here, 'node_modules', 'playwright-core');
if (!fs.existsSync(path.join(pwDir, 'package.json'))) {
  fail(`playwright-core is not installed in ${path.join(here, 'node_modules')}.`, 'cd tests/node && npm ci');
}
const installed = readJson(path.join(pwDir, 'package.json')).version;
if (pinned && installed !== pinned) {
  fail(`playwright-core ${installed} is installed but package.json pins ${pinned}.`, 'cd tests/node && npm ci');
}
const built = readJson(path.join(pwDir, 'browsers.json')).browsers.find((b) => b.name === 'chromium')?.browserVersion ?? '';
const builtMajor = Number(built.split('.')[0]);
const lowest = builtMajor - SUPPORTED_BEHIND;
const pairing = `chromium ${chromiumVersion} (${CHROMIUM}) with playwright-core ${installed} (built for chromium ${built}; drives ${lowest}–${builtMajor})`;
console.log(`check-browser: ${pairing}`);

// 3. The majors.
const allowed = Number(process.env.COFFER_ALLOW_CHROMIUM_MAJOR || NaN) === chromiumMajor;
const repin = `pin the playwright-core release built for chromium ${chromiumMajor} (each release's notes at https://playwright.dev/docs/release-notes name their Chromium; `
  + '`npm pack playwright-core@<v>` and its package/browsers.json say it exactly) in tests/node/package.json, '
  + 'then `npm install` in tests/node and commit package.json and package-lock.json';
const accept = `or, once the browser tests pass with it: COFFER_ALLOW_CHROMIUM_MAJOR=${chromiumMajor} .ci/run`;
if (!allowed && chromiumMajor > builtMajor) {
  fail(`chromium ${chromiumMajor} is newer than playwright-core ${installed} knows (it is built for ${builtMajor}); `
    + 'a Debian security update has most likely moved chromium.', repin, accept);
}
if (!allowed && chromiumMajor < lowest) {
  fail(`chromium ${chromiumMajor} is older than playwright-core ${installed} drives (${lowest}–${builtMajor}).`,
    'apt-get update && apt-get install chromium (Debian\'s security updates bring a newer one)',
    `or pin an older playwright-core built for chromium ${chromiumMajor}–${chromiumMajor + SUPPORTED_BEHIND} in tests/node/package.json`, accept);
}
if (allowed && (chromiumMajor > builtMajor || chromiumMajor < lowest)) {
  console.log(`check-browser: chromium ${chromiumMajor} is outside ${lowest}–${builtMajor}, accepted by COFFER_ALLOW_CHROMIUM_MAJOR`);
}

// 4. The launch: headless, as root needs --no-sandbox, a page rendered and its script run.
try {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'], timeout: 60_000 });
  try {
    const page = await browser.newPage();
    await page.setContent('<p id="p">waiting</p><script>document.getElementById("p").textContent = "ran";</script>');
    const text = await page.locator('#p').textContent();
    if (text !== 'ran') throw new Error(`the test page's script did not run (it shows "${text}")`);
    const agentMajor = Number(/Chrome\/(\d+)/.exec(await page.evaluate(() => navigator.userAgent))?.[1]);
    if (agentMajor !== chromiumMajor) {
      throw new Error(`the browser that started says Chrome ${agentMajor}, not ${chromiumMajor}: is ${CHROMIUM} the chromium that runs?`);
    }
  } finally {
    await browser.close();
  }
} catch (e) {
  fail(`playwright-core ${installed} could not drive ${CHROMIUM} (chromium ${chromiumVersion}): ${e.message.split('\n')[0]}`,
    chromiumMajor === builtMajor ? 'chromium itself fails to start headless: run `chromium --headless --no-sandbox --dump-dom about:blank` to see why'
      : repin,
    'the browser tests print the same launch error with more detail: node run-tests.mjs test/portal.test.mjs');
}
console.log('check-browser: OK: chromium launched headless and ran a page');
