#!/usr/bin/env node
// Runs the API test suite: `node run-tests.mjs [test files...]` (what `npm test` does).
//
// 1. Starts one bootstrap `coffer server --dev` on a throw-away data dir so the server creates
//    its dev CA, then stops it. Node trusts extra CAs only from NODE_EXTRA_CA_CERTS read at
//    start-up, so this has to happen before the test processes exist.
// 2. Runs node's test runner, one file at a time (every file starts its own servers), with
//    NODE_EXTRA_CA_CERTS=<dir>/tls/ca.pem, COFFER_CA_DIR=<dir> (support/server.mjs copies
//    <dir>/tls into each fresh data dir) and the *.localhost DNS shim preloaded.
// If the binary is missing, the files still run and each fails in its `before` with the reason.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const runDir = path.join(here, '.tmp', `run-${process.pid}`);
fs.mkdirSync(runDir, { recursive: true, mode: 0o700 });
process.env.COFFER_TMP_DIR = runDir;
const { cofferBin, startServer } = await import('./support/server.mjs');

function testFiles(dir) {
  const out = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...testFiles(p));
    else if (entry.name.endsWith('.test.mjs')) out.push(path.relative(here, p));
  }
  return out.sort();
}

const files = process.argv.slice(2).length ? process.argv.slice(2) : testFiles(path.join(here, 'test'));
const env = { ...process.env, COFFER_TMP_DIR: runDir };

const bin = cofferBin();
if (fs.existsSync(bin)) {
  const caDir = path.join(runDir, 'ca');
  fs.mkdirSync(caDir, { mode: 0o700 });
  let bootstrap;
  try {
    bootstrap = await startServer({ dataDir: caDir });
  } catch (err) {
    console.error(`run-tests: the bootstrap server did not start, so no test can run.\n${err.message}`);
    process.exit(1);
  }
  await bootstrap.stop();
  const caFile = path.join(caDir, 'tls', 'ca.pem');
  if (!fs.existsSync(caFile)) {
    console.error(`run-tests: the bootstrap server wrote no ${caFile}`);
    process.exit(1);
  }
  env.NODE_EXTRA_CA_CERTS = caFile;
  env.COFFER_CA_DIR = caDir;
} else {
  console.error(`run-tests: WARNING: ${bin} does not exist (build it, or set COFFER_BIN); every test file will fail.`);
}

const args = [
  '--import', './support/localhost-dns.mjs',
  '--test', '--test-concurrency=1', '--test-timeout=300000', '--test-reporter=spec',
  ...files,
];
const child = spawn(process.execPath, args, { cwd: here, env, stdio: 'inherit' });
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
const code = await new Promise((resolve) => child.on('close', (c, s) => resolve(c ?? (s ? 1 : 0))));
if (!process.env.COFFER_KEEP_DATA) fs.rmSync(runDir, { recursive: true, force: true });
process.exit(code);
