// How the `coffer` CLI finds the server (CONTRACT.md "CLI"): the COFFER_URL, COFFER_TENANT_ID,
// COFFER_CLIENT_ID, COFFER_CLIENT_SECRET and COFFER_CA_FILE variables (which win), `coffer login`
// saving ~/.config/coffer/profile.json (mode 0600) that later commands use, `--data-dir`, and
// the refusals: wrong credentials and no credentials at all exit 1 with `ERROR: …`.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { freshDataDir, startServer } from '../support/server.mjs';
import { uniqueName } from '../support/azure.mjs';
import { cliJson, cliWithEnv } from '../support/cli.mjs';

let server;
let home;   // HOME of the CLI processes: where the profile goes
let empty;  // a working directory without ./coffer-data

before(async () => {
  server = await startServer();
  home = freshDataDir('home');
  empty = freshDataDir('cwd');
});
after(async () => { await server?.remove(); });

const envOf = (creds, more = {}) => ({
  COFFER_URL: creds.managementUrl,
  COFFER_TENANT_ID: creds.tenantId,
  COFFER_CLIENT_ID: creds.clientId,
  COFFER_CLIENT_SECRET: creds.clientSecret,
  COFFER_CA_FILE: creds.caFile,
  HOME: home,
  ...more,
});
/** Runs the CLI in `empty` with HOME=home and `env`; resolves to {code, stdout, stderr}. */
async function run(env, ...args) {
  try {
    const r = await cliWithEnv({ HOME: home, ...env }, args, empty);
    return { code: 0, ...r };
  } catch (err) {
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

describe('coffer CLI connection', () => {
  test('the environment variables alone reach both planes', async () => {
    const name = uniqueName('envsec');
    const env = envOf(server.creds);
    const set = await run(env, 'secret', 'set', '--vault-name', 'dev', '-n', name, '--value', 'from-env');
    assert.equal(set.code, 0, set.stderr);
    assert.equal(JSON.parse(set.stdout).value, 'from-env');
    // Without dev-credentials.json the subscriptions are those the server lists.
    const vaults = await run(env, 'vault', 'list', '--subscription', server.creds.subscriptions[0]);
    assert.equal(vaults.code, 0, vaults.stderr);
    assert.ok(JSON.parse(vaults.stdout).some((v) => v.name === 'dev'));
    const shown = await run(env, 'vault', 'show', '--name', 'dev');
    assert.equal(shown.code, 0, shown.stderr);
    const vault = uniqueName('envvault');
    const created = await run(env, 'vault', 'create', '--name', vault);
    assert.equal(created.code, 0, created.stderr);
    assert.ok(server.creds.subscriptions.includes(JSON.parse(created.stdout).id.split('/')[2]));
  });

  test('no credentials anywhere, or wrong ones, exit 1 with ERROR', async () => {
    const none = await run({}, 'secret', 'list', '--vault-name', 'dev');
    assert.equal(none.code, 1);
    assert.match(none.stderr, /^ERROR: .*coffer login.*COFFER_URL/s);
    const wrong = await run(envOf(server.creds, { COFFER_CLIENT_SECRET: 'not-the-secret' }), 'secret', 'list',
      '--vault-name', 'dev');
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /^ERROR: .*client secret is not valid/i);
    const noCa = await run(envOf(server.creds, { COFFER_CA_FILE: path.join(empty, 'missing.pem') }), 'secret', 'list',
      '--vault-name', 'dev');
    assert.equal(noCa.code, 1);
    assert.match(noCa.stderr, /^ERROR: cannot reach the server/);
  });

  test('login saves a 0600 profile that later commands use; the environment wins over it', async () => {
    const c = server.creds;
    const bad = await run({}, 'login', '--url', c.managementUrl, '--tenant', c.tenantId, '--client-id', c.clientId,
      '--client-secret', 'wrong', '--ca-file', c.caFile);
    assert.equal(bad.code, 1, 'login checks the credentials before saving them');
    const profile = path.join(home, '.config', 'coffer', 'profile.json');
    assert.ok(!fs.existsSync(profile));

    const login = await run({}, 'login', '--url', c.managementUrl, '--tenant', c.tenantId, '--client-id',
      c.clientId, '--client-secret', c.clientSecret, '--ca-file', c.caFile);
    assert.equal(login.code, 0, login.stderr);
    const printed = JSON.parse(login.stdout);
    assert.equal(printed.profile, profile);
    assert.ok(!login.stdout.includes(c.clientSecret), 'login never prints the secret');
    assert.equal(fs.statSync(profile).mode & 0o777, 0o600);
    assert.equal(fs.statSync(path.dirname(profile)).mode & 0o777, 0o700);
    assert.equal(JSON.parse(fs.readFileSync(profile, 'utf8')).url, c.managementUrl);

    const listed = await run({}, 'secret', 'list', '--vault-name', 'dev');
    assert.equal(listed.code, 0, listed.stderr);
    // A variable replaces the profile's field: a wrong secret from the environment is used.
    const overridden = await run({ COFFER_CLIENT_SECRET: 'wrong' }, 'secret', 'list', '--vault-name', 'dev');
    assert.equal(overridden.code, 1);
    // --data-dir beats the profile.
    const dataDir = await cliJson('secret', 'list', '--vault-name', 'dev', '--data-dir', server.dataDir);
    assert.ok(Array.isArray(dataDir));

    const logout = await run({}, 'logout');
    assert.equal(logout.code, 0);
    assert.ok(!fs.existsSync(profile));
  });

  test('login usage errors exit 2', async () => {
    const r = await run({}, 'login', '--url', server.creds.managementUrl);
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
  });
});
