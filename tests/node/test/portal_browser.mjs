// What the portal's browser tests share (portal*.test.mjs): Debian's chromium driven by the
// pinned playwright-core, trusting the test server's dev CA only, *.localhost mapped to
// 127.0.0.1, a 1366x768 page that records CSP violations and script errors, and screenshots
// under tests/node/.artifacts/portal/. Not a test file itself (no .test.mjs).
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

// COFFER_CHROMIUM overrides the browser, as for check-browser.mjs.
export const CHROMIUM = process.env.COFFER_CHROMIUM || '/usr/bin/chromium';
const here = path.dirname(fileURLToPath(import.meta.url));
export const ARTIFACTS = path.resolve(here, '..', '.artifacts', 'portal');
export const skip = fs.existsSync(CHROMIUM)
  ? false
  : `${CHROMIUM} is not installed (apt-get install chromium; scripts/deps.sh does): the portal's browser tests are skipped`;

// The base64 SHA-256 of the dev CA's public key: chromium ignores certificate errors only for
// chains holding it, instead of for every certificate.
function caSpkiHash(caFile) {
  const spki = new crypto.X509Certificate(fs.readFileSync(caFile)).publicKey.export({ type: 'spki', format: 'der' });
  return crypto.createHash('sha256').update(spki).digest('base64');
}

// Launches chromium, or fails saying which pairing broke: Debian's security updates move
// chromium's major version, and playwright-core is pinned in package.json (check-browser.mjs
// checks the pairing before the tests run).
async function launch(chromium, options) {
  try {
    return await chromium.launch(options);
  } catch (e) {
    let version = '?';
    // Debian's wrapper script prints a harmless shell error on stderr: only stdout is read.
    try { version = execFileSync(CHROMIUM, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim(); } catch { /* ? */ }
    const pw = JSON.parse(fs.readFileSync(path.resolve(here, '..', 'node_modules', 'playwright-core', 'package.json'), 'utf8')).version;
    throw new Error(`playwright-core ${pw} could not drive ${version} (${CHROMIUM}); run node check-browser.mjs in tests/node for what to change. ${e.message}`);
  }
}

// A browser for `server` and its first page at 1366x768. `problems` collects CSP violations
// and uncaught script errors (a test asserts it stays empty).
export async function openBrowser(server) {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const { chromium } = await import('playwright-core');
  const browser = await launch(chromium, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox', // as root (CI)
      '--host-resolver-rules=MAP localhost 127.0.0.1, MAP *.localhost 127.0.0.1',
      `--ignore-certificate-errors-spki-list=${caSpkiHash(server.creds.caFile)}`,
    ],
  });
  const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1366, height: 768 } });
  const page = await context.newPage();
  const problems = [];
  watch(page, problems);
  return { browser, page, problems };
}

// Records `page`'s CSP violations and script errors in `problems`.
export function watch(page, problems) {
  page.on('console', (m) => { if (m.type() === 'error' && /Content Security Policy|Refused/.test(m.text())) problems.push(m.text()); });
  page.on('pageerror', (e) => problems.push(String(e)));
}

// Presses Tab on `page` until the focused element's text, aria-label or label is `text`;
// fails after `limit` presses.
export async function tabTo(page, text, limit = 80) {
  for (let i = 0; i < limit; i++) {
    await page.keyboard.press('Tab');
    const hit = await page.evaluate((t) => {
      const el = document.activeElement;
      return el?.textContent?.trim() === t || el?.getAttribute('aria-label') === t || el?.labels?.[0]?.textContent?.trim() === t;
    }, text);
    if (hit) return;
  }
  throw new Error(`no focusable element "${text}" reached with Tab`);
}
