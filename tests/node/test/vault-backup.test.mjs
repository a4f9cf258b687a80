// Whole-vault backup and restore through HTTPS against a real server (CONTRACT.md "Whole-vault
// backup and restore"): the long-running operation, the archive, a restore read back with the
// official SDK, a finished job surviving a restart, refusals, and scheduled backups triggered by
// the dev clock.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { KeyClient } from '@azure/keyvault-keys';
import { startServer, freshDataDir } from '../support/server.mjs';
import { rawRequest } from '../support/http.mjs';
import {
  secretClient, createVault, credentialFor, dataToken, vaultUrl, pollUntil, timeShift, uniqueName,
} from '../support/azure.mjs';

const API = 'api-version=7.6';
let server;
let backupDir;

before(async () => {
  const configDir = freshDataDir('config');
  backupDir = path.join(configDir, 'backups');
  const config = path.join(configDir, 'coffer.toml');
  fs.writeFileSync(config, `[backup]\nschedule = "1h"\nkeep = 2\ndir = "${backupDir}"\n`);
  server = await startServer({ args: ['--config', config] });
  const dev = secretClient(server);
  await dev.setSecret('db-password', 'first');
  await dev.setSecret('db-password', 'second');
  await dev.setSecret('api-token', 'tok');
  const keys = new KeyClient(vaultUrl(server, 'dev'), credentialFor(server.creds));
  await keys.createEcKey('signer', { curve: 'P-256' });
});
after(async () => { await server?.remove(); });

async function call(vault, method, pathAndQuery, body, headers = {}) {
  return rawRequest({
    port: server.port, host: `${vault}.vault.localhost`, method, path: pathAndQuery,
    token: await dataToken(server), body, headers,
  });
}

/** Polls the Azure-AsyncOperation URL until the job has ended; returns its status body. */
async function finished(vault, pollUrl) {
  const url = new URL(pollUrl);
  assert.equal(url.hostname, `${vault}.vault.localhost`);
  return pollUntil(async () => {
    const r = await call(vault, 'GET', url.pathname + url.search);
    assert.equal(r.status, 200, r.body);
    return r.json.status === 'InProgress' ? null : r.json;
  }, { what: `job ${url.pathname}` });
}

async function backupDev() {
  const started = await call('dev', 'POST', `/backup?${API}`);
  assert.equal(started.status, 202, started.body);
  assert.equal(started.json.status, 'InProgress');
  assert.match(started.headers['azure-asyncoperation'], /\/backup\/[0-9a-f]{32}\/pending\?api-version=7\.6$/);
  const done = await finished('dev', started.headers['azure-asyncoperation']);
  assert.equal(done.status, 'Succeeded', JSON.stringify(done));
  return done;
}

test('a whole-vault backup restores into an empty vault and survives a restart', async () => {
  const done = await backupDev();
  assert.equal(done.objects, 3);
  const content = await call('dev', 'GET', `/backup/${done.jobId}/content?${API}`);
  assert.equal(content.status, 200);
  assert.equal(content.headers['content-type'], 'application/octet-stream');
  assert.equal(content.bytes.length, done.bytes);
  assert.equal(content.bytes.indexOf('db-password'), -1, 'names are inside the ciphertext');

  const copy = uniqueName('copy');
  await createVault(server, { name: copy, location: 'westus' });
  const restore = await call(copy, 'PUT', `/restore?${API}`, content.bytes,
    { 'content-type': 'application/octet-stream' });
  assert.equal(restore.status, 202, restore.body);
  const restored = await finished(copy, restore.headers['azure-asyncoperation']);
  assert.equal(restored.status, 'Succeeded', JSON.stringify(restored));
  assert.equal(restored.restored, 3);
  assert.deepEqual(restored.conflicts, []);
  const secrets = secretClient(server, copy);
  assert.equal((await secrets.getSecret('db-password')).value, 'second');
  const versions = [];
  for await (const v of secrets.listPropertiesOfSecretVersions('db-password')) versions.push(v);
  assert.equal(versions.length, 2);

  // Into the same (non-empty) vault without a selection: refused by the PUT itself.
  const again = await call(copy, 'PUT', `/restore?${API}`, content.bytes);
  assert.equal(again.status, 409);
  const damaged = Buffer.from(content.bytes);
  damaged[damaged.length - 20] ^= 0x01;
  const empty = uniqueName('empty');
  await createVault(server, { name: empty, location: 'eastus' });
  assert.equal((await call(empty, 'PUT', `/restore?${API}`, damaged)).status, 400);

  server = await server.restart();
  const after = await call('dev', 'GET', `/backup/${done.jobId}/pending?${API}`);
  assert.equal(after.status, 200);
  assert.equal(after.json.status, 'Succeeded');
  const again2 = await call('dev', 'GET', `/backup/${done.jobId}/content?${API}`);
  assert.ok(again2.bytes.equals(content.bytes));
});

test('scheduled backups follow the dev clock and restore', async () => {
  const files = () => fs.readdirSync(backupDir).filter((f) => f.startsWith('dev-') && f.endsWith('.coffer-backup'));
  await pollUntil(() => files().length >= 1, { timeoutMs: 15_000, what: 'first scheduled backup' });
  const before = files().length;
  await timeShift(server, 3600);
  await pollUntil(() => files().length > before, { timeoutMs: 15_000, what: 'backup after the time shift' });
  assert.ok(fs.readdirSync(backupDir).every((f) => !f.endsWith('.tmp')));
  const newest = files().sort().at(-1);
  assert.equal(fs.statSync(path.join(backupDir, newest)).mode & 0o777, 0o600);

  const target = uniqueName('sched');
  await createVault(server, { name: target, location: 'eastus' });
  const restore = await call(target, 'PUT', `/restore?${API}&objects=secrets/api-token`,
    fs.readFileSync(path.join(backupDir, newest)));
  assert.equal(restore.status, 202, restore.body);
  const done = await finished(target, restore.headers['azure-asyncoperation']);
  assert.equal(done.restored, 1, JSON.stringify(done));
  assert.equal((await secretClient(server, target).getSecret('api-token')).value, 'tok');
});
