// check-browser.mjs, the chromium ↔ playwright-core pairing check scripts/test.sh runs before
// the portal's browser tests: with stand-in browsers (shell scripts printing a version) it
// fails with exit 1 and says what broke and how to fix it — chromium missing, newer than the
// pinned playwright-core knows, older than it drives, printing no version, or not launching —
// and COFFER_ALLOW_CHROMIUM_MAJOR accepts a major outside the window. The real pairing is what
// scripts/test.sh checks. Needs no server and no browser.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const script = path.resolve(here, '..', 'check-browser.mjs');
const built = JSON.parse(fs.readFileSync(path.resolve(here, '..', 'node_modules', 'playwright-core', 'browsers.json'), 'utf8'))
  .browsers.find((b) => b.name === 'chromium').browserVersion;
const builtMajor = Number(built.split('.')[0]);

describe('check-browser.mjs: the chromium and playwright-core pairing', () => {
  let dir;
  before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'coffer-check-browser-')); });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  // A stand-in browser whose --version prints `text` (and, like Debian's wrapper, a shell
  // error on stderr); it cannot be launched.
  function browser(name, text) {
    const file = path.join(dir, name);
    fs.writeFileSync(file, `#!/bin/sh\necho "/usr/bin/chromium: 9: [: 1: unexpected operator" >&2\necho "${text}"\n`, { mode: 0o755 });
    return file;
  }
  const check = (chromium, env = {}) => spawnSync(process.execPath, [script], {
    env: { ...process.env, COFFER_CHROMIUM: chromium, ...env }, encoding: 'utf8', timeout: 120_000,
  });

  test('a missing chromium: exit 1, install it', () => {
    const r = check(path.join(dir, 'absent'));
    assert.equal(r.status, 1);
    assert.match(r.stderr, /FAIL: .*absent does not exist/);
    assert.match(r.stderr, /fix: bash scripts\/deps\.sh/);
  });

  test('a chromium newer than playwright-core knows: exit 1 naming both majors and the new pin to make', () => {
    const newer = builtMajor + 1;
    const r = check(browser('newer', `Chromium ${newer}.0.1.2 built on Debian GNU/Linux 12 (bookworm)`));
    assert.equal(r.status, 1);
    assert.match(r.stderr, new RegExp(`FAIL: chromium ${newer} is newer than playwright-core \\S+ knows \\(it is built for ${builtMajor}\\)`));
    assert.match(r.stderr, new RegExp(`fix: pin the playwright-core release built for chromium ${newer} .*tests/node/package\\.json`));
    assert.match(r.stderr, new RegExp(`COFFER_ALLOW_CHROMIUM_MAJOR=${newer} \\.ci/run`));
  });

  test('a chromium older than playwright-core drives: exit 1, update chromium', () => {
    const r = check(browser('older', 'Chromium 100.0.4896.127 built on Debian GNU/Linux 12 (bookworm)'));
    assert.equal(r.status, 1);
    assert.match(r.stderr, /FAIL: chromium 100 is older than playwright-core \S+ drives/);
    assert.match(r.stderr, /fix: apt-get update && apt-get install chromium/);
  });

  test('a --version without a version: exit 1', () => {
    const r = check(browser('garbled', 'something else'));
    assert.equal(r.status, 1);
    assert.match(r.stderr, /printed "something else", which names no version/);
  });

  test('a major in the window (or allowed) that does not launch: exit 1 naming the launch error', () => {
    const r = check(browser('inwindow', `Chromium ${builtMajor}.0.1.2 built on Debian GNU/Linux 12 (bookworm)`));
    assert.equal(r.status, 1);
    assert.match(r.stdout, new RegExp(`chromium ${builtMajor}\\.0\\.1\\.2 .* with playwright-core`));
    assert.match(r.stderr, new RegExp(`FAIL: playwright-core \\S+ could not drive .*inwindow \\(chromium ${builtMajor}\\.0\\.1\\.2\\)`));
    const allowed = check(browser('allowed', `Chromium ${builtMajor + 5}.0.1.2`), { COFFER_ALLOW_CHROMIUM_MAJOR: String(builtMajor + 5) });
    assert.match(allowed.stdout, /accepted by COFFER_ALLOW_CHROMIUM_MAJOR/);
    assert.match(allowed.stderr, /could not drive/);  // the launch is still checked
  });
});
