// Paired-region failover (CONTRACT.md "PostgreSQL and paired-region failover"): a dev node on a
// PostgreSQL primary with a synchronous streaming replica (scripts/pg-pair.sh, remote_apply).
// Killing the primary under write load loses no acknowledged write (every one is read back from
// the pair), answers no 500 (503 with Retry-After instead), serves reads from the pair within
// after_seconds + 2 s and refuses writes with a read-only failover message; the node fails back
// by itself when the primary returns; a whole-vault backup taken while paired (its job on this
// node) is still served after failback and restores; the unmodified SecretClient reads through a
// failover; and `coffer operator failover promote` makes the pair writable for good. A second
// node of the deployment fails over, back and to the promoted pair with the first, and its
// caches keep hearing the first node's writes (the cache feed follows the database written to).
// Runs when COFFER_TEST_PG_PAIR=1 (scripts/test.sh sets it) and Debian's postgresql-15 is here.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freshDataDir, repoRoot, startServer } from '../support/server.mjs';
import {
  createVault, dataToken, expectRestError, mgmtRequest, pollUntil, secretClient, uniqueName, vaultPath,
} from '../support/azure.mjs';
import { cliJson } from '../support/cli.mjs';
import { API, rawRequest } from '../support/http.mjs';

const ENABLED = process.env.COFFER_TEST_PG_PAIR === '1' && fs.existsSync('/usr/lib/postgresql/15/bin/pg_ctl');
const AFTER_SECONDS = 2;
const WRITES = 2000;  // acknowledged writes before the kill
const WRITERS = 8;
// What libpq's connection errors name ("connection to server at "127.0.0.1", port 5432 failed"):
// the server log keeps it, a client's 503 must not carry it.
const DB_ADDRESS = /127\.0\.0\.1|port \d+/;

function pair(cmd, dir) {
  const r = spawnSync('bash', [path.join(repoRoot, 'scripts/pg-pair.sh'), cmd, dir], { encoding: 'utf8', timeout: 180_000 });
  assert.equal(r.status, 0, `pg-pair.sh ${cmd}: ${r.stderr}`);
  return r.stdout.trim().split('\n');
}

describe('paired-region failover on PostgreSQL', { skip: ENABLED ? false : 'COFFER_TEST_PG_PAIR is not 1 or postgresql-15 is missing (scripts/test.sh sets it)' }, () => {
  let dir;
  let server;
  let other;  // a second node of the deployment, on the same primary and pair
  let token;
  let otherToken;
  const healthz = async (node = server) => (await rawRequest({ port: node.port, path: '/healthz' })).json;
  const put = (name, value) => rawRequest({
    port: server.port, host: 'dev.vault.localhost', method: 'PUT', path: `/secrets/${name}?${API}`, token, body: { value },
  });
  const get = (name) => rawRequest({
    port: server.port, host: 'dev.vault.localhost', path: `/secrets/${name}?${API}`, token,
  });
  const waitFor = (storage, writable, node = server) => pollUntil(async () => {
    const h = await healthz(node);
    return h.storage === storage && h.writable === writable;
  }, { timeoutMs: 20_000, intervalMs: 100, what: `healthz storage ${storage}, writable ${writable}` });
  // Resolves once `call()` answers HTTP `status`, trying for at most one second (a change made
  // through one node reaches the other's caches through the LISTEN/NOTIFY feed).
  const answersWithin = async (call, status) => {
    const deadline = Date.now() + 1000;
    for (;;) {
      const res = await call();
      if (res.status === status) return;
      assert.ok(Date.now() < deadline, `still ${res.status} one second later (expected ${status}): ${res.body}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  // A vault made through `server` and read through `other` (so `other` caches it), then deleted
  // through `server`: `other` must forget it at once.
  const vaultDeletionReachesTheOtherNode = async () => {
    const sub = server.creds.subscriptions[0];
    const vault = uniqueName('fov').slice(0, 20);
    await createVault(server, { name: vault, sub, rg: 'rg1' });
    const readOnOther = () => rawRequest({
      port: other.port, host: `${vault}.vault.localhost`, path: `/secrets?${API}`, token: otherToken,
    });
    await answersWithin(readOnOther, 200);
    const del = await mgmtRequest(server, { method: 'DELETE', path: `${vaultPath(sub, 'rg1', vault)}?api-version=2026-02-01` });
    assert.ok([200, 204].includes(del.status), del.body);
    await answersWithin(readOnOther, 404);
  };

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'coffer-failover-'));
    const [primaryUrl, pairedUrl] = pair('start', dir);
    const config = path.join(freshDataDir('failover-config'), 'coffer.toml');
    fs.writeFileSync(config, `[storage]\nengine = "postgres"\nurl = "${primaryUrl}"\nmax_connections = 8\n` +
      `[failover]\npaired_url = "${pairedUrl}"\nafter_seconds = ${AFTER_SECONDS}\n` +
      // The load is thousands of writes in seconds: above the default secret_create limit.
      `[limits]\nsecret_create = 1000000\nvault_other = 1000000\nsubscription_factor = 5\n`);
    server = await startServer({ args: ['--config', config] });
    other = await startServer({ args: ['--config', config, '--unseal-key-file', path.join(server.dataDir, 'unseal.key')] });
    token = await dataToken(server);
    otherToken = await dataToken(other);
  });
  after(async () => {
    await other?.remove();
    await server?.remove();
    if (dir) {
      spawnSync('bash', [path.join(repoRoot, 'scripts/pg-pair.sh'), 'stop', dir], { timeout: 120_000 });
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  let pairedBackup;  // the whole-vault backup taken while paired: { job, bytes, secret }
  const vaultCall = (method, p, body) => rawRequest({
    port: server.port, host: 'dev.vault.localhost', method, path: `${p}${p.includes('?') ? '&' : '?'}${API}`, token, body,
  });

  test('killing the primary under write load loses no acknowledged write and answers no 500', async () => {
    assert.deepEqual(await healthz(), { status: 'ok', sealed: false, storage: 'primary', writable: true });
    const key = await vaultCall('POST', '/keys/fo-key/create', { kty: 'EC', crv: 'P-256' });
    assert.equal(key.status, 200, key.body);
    const acked = [];
    const statuses = new Map();
    let killedAt = 0;
    let stop = false;
    const writer = async (w) => {
      for (let i = 0; !stop; i += 1) {
        const name = `fo-${w}-${i}`;
        let res;
        try {
          res = await put(name, `value-${w}-${i}`);
        } catch (err) {
          assert.fail(`a write's connection failed (${err.message}); storage trouble must be answered 503`);
        }
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        if (res.status === 200) acked.push(name);
        else {
          assert.equal(res.status, 503, `write ${name}: ${res.status} ${res.body}`);
          assert.ok(res.headers['retry-after'], `a 503 without Retry-After: ${res.body}`);
          assert.equal(res.json?.error?.code, 'ServiceUnavailable');
          assert.doesNotMatch(res.body, DB_ADDRESS, 'a 503 names the database server');
          if (killedAt && Date.now() - killedAt > (AFTER_SECONDS + 3) * 1000) stop = true;
          await new Promise((r) => setTimeout(r, 50));
        }
      }
    };
    const writers = Array.from({ length: WRITERS }, (_, w) => writer(w));
    await pollUntil(() => acked.length >= WRITES, { timeoutMs: 120_000, intervalMs: 20, what: `${WRITES} writes` });
    pair('kill-primary', dir);
    killedAt = Date.now();
    const ackedBeforeKill = acked.length;

    // The time from the kill to the first read served by the pair.
    let firstRead = 0;
    while (!firstRead) {
      const res = await get(acked[0]);
      if (res.status === 200) firstRead = Date.now();
      else {
        assert.equal(res.status, 503, `read during the switch: ${res.status} ${res.body}`);
        assert.ok(res.headers['retry-after']);
        assert.doesNotMatch(res.body, DB_ADDRESS, 'a 503 names the database server');
        assert.ok(Date.now() - killedAt < 30_000, 'no read served by the pair within 30 s');
        await new Promise((r) => setTimeout(r, 20));
      }
    }
    await Promise.all(writers);
    const switchMs = firstRead - killedAt;
    console.log(`failover: ${ackedBeforeKill} writes acknowledged before the kill, ${acked.length} in all; ` +
      `first read from the pair ${switchMs} ms after the kill (after_seconds = ${AFTER_SECONDS}); statuses ${JSON.stringify([...statuses])}`);
    assert.ok(switchMs <= (AFTER_SECONDS + 2) * 1000, `first read from the pair after ${switchMs} ms`);
    assert.equal(statuses.get(500), undefined);
    assert.deepEqual(await healthz(), { status: 'ok', sealed: false, storage: 'paired', writable: false });

    // Every acknowledged write is on the pair.
    const missing = [];
    for (let i = 0; i < acked.length; i += 16) {
      const batch = acked.slice(i, i + 16);
      const got = await Promise.all(batch.map((name) => get(name)));
      got.forEach((res, k) => {
        const [, w, n] = batch[k].split('-');
        if (res.status !== 200 || res.json.value !== `value-${w}-${n}`) missing.push(`${batch[k]}: ${res.status}`);
      });
    }
    assert.deepEqual(missing, [], `${missing.length} of ${acked.length} acknowledged writes are not on the pair`);

    // Read-only: lists work, writes are refused with the failover message.
    const list = await rawRequest({ port: server.port, host: 'dev.vault.localhost', path: `/secrets?${API}&maxresults=5`, token });
    assert.equal(list.status, 200, list.body);
    const refused = await put('after-failover', 'x');
    assert.equal(refused.status, 503, refused.body);
    assert.ok(refused.headers['retry-after']);
    assert.match(refused.json.error.message, /read-only/);
    assert.match(refused.json.error.message, /failover/);
    // Key operations and per-object backups are reads: the pair serves them.
    const digest = Buffer.alloc(32, 7).toString('base64url');
    const version = key.json.key.kid.split('/').pop();
    const signed = await vaultCall('POST', `/keys/fo-key/${version}/sign`, { alg: 'ES256', value: digest });
    assert.equal(signed.status, 200, signed.body);
    const backup = await vaultCall('POST', '/secrets/fo-0-0/backup');
    assert.equal(backup.status, 200, backup.body);
    assert.ok(backup.json.value.length > 0);
    const keyBackup = await vaultCall('POST', '/keys/fo-key/backup');
    assert.equal(keyBackup.status, 200, keyBackup.body);
    // A whole-vault backup works too: its job and archive live on this node (docs/operations.md).
    const vaultBackup = await vaultCall('POST', '/backup');
    assert.equal(vaultBackup.status, 202, vaultBackup.body);
    const poll = new URL(vaultBackup.headers['azure-asyncoperation']);
    const job = await pollUntil(async () => {
      const r = await vaultCall('GET', poll.pathname);  // vaultCall adds the api-version
      assert.equal(r.status, 200, r.body);
      return r.json.status === 'InProgress' ? null : r.json;
    }, { timeoutMs: 60_000, what: 'the whole-vault backup while paired' });
    assert.equal(job.status, 'Succeeded', JSON.stringify(job));
    assert.ok(job.objects >= acked.length + 1, `${job.objects} objects in the archive`);
    const content = await vaultCall('GET', `/backup/${job.jobId}/content`);
    assert.equal(content.status, 200);
    assert.equal(content.bytes.length, job.bytes);
    pairedBackup = { job, bytes: content.bytes, secret: acked[acked.length - 1] };
    // A restore is a write: refused read-only (after its checks, which only read).
    const restore = await rawRequest({
      port: server.port, host: 'dev.vault.localhost', method: 'PUT', path: `/restore?objects=secrets/fo-0-0&${API}`,
      token, body: content.bytes, headers: { 'content-type': 'application/octet-stream' },
    });
    assert.equal(restore.status, 503, restore.body);
    assert.ok(restore.headers['retry-after']);
    assert.match(restore.json.error.message, /read-only/);
    const metrics = await rawRequest({ port: server.port, path: '/metrics' });
    assert.match(metrics.body, /coffer_storage_mode\{storage="paired",writable="false"\} 1/);
  });

  test('the unmodified SecretClient reads through the failover; its writes get 503', async () => {
    const client = secretClient(server, 'dev', { retryOptions: { maxRetries: 1 } });
    assert.equal((await client.getSecret('fo-0-0')).value, 'value-0-0');
    await expectRestError(client.setSecret('sdk-during-failover', 'x'), 503);
  });

  test('fails back by itself when the primary returns', async () => {
    pair('start-primary', dir);
    await waitFor('primary', true);
    const res = await put('after-failback', 'back');
    assert.equal(res.status, 200, res.body);
    assert.equal((await secretClient(server).getSecret('after-failback')).value, 'back');
    // The other node failed back too, and its caches hear the primary again.
    await waitFor('primary', true, other);
    await vaultDeletionReachesTheOtherNode();
  });

  test('the backup taken while paired is still served after failback and restores', async () => {
    assert.ok(pairedBackup, 'the failover test took a backup');
    const { job, bytes, secret } = pairedBackup;
    const polled = await vaultCall('GET', `/backup/${job.jobId}/pending`);
    assert.equal(polled.status, 200, polled.body);
    assert.equal(polled.json.status, 'Succeeded');
    const copy = uniqueName('fo-copy');
    await createVault(server, { name: copy, location: 'westus' });
    const restore = await rawRequest({
      port: server.port, host: `${copy}.vault.localhost`, method: 'PUT', path: `/restore?${API}`, token,
      body: bytes, headers: { 'content-type': 'application/octet-stream' },
    });
    assert.equal(restore.status, 202, restore.body);
    const poll = new URL(restore.headers['azure-asyncoperation']);
    const restored = await pollUntil(async () => {
      const r = await rawRequest({ port: server.port, host: `${copy}.vault.localhost`, path: poll.pathname + poll.search, token });
      assert.equal(r.status, 200, r.body);
      return r.json.status === 'InProgress' ? null : r.json;
    }, { timeoutMs: 120_000, what: 'the restore of the backup taken while paired' });
    assert.equal(restored.status, 'Succeeded', JSON.stringify(restored));
    assert.equal(restored.restored, job.objects);
    const [, w, n] = secret.split('-');
    assert.equal((await secretClient(server, copy).getSecret(secret)).value, `value-${w}-${n}`);
  });

  test('a node started while its primary is down serves read-only from the pair, then fails back', async () => {
    pair('kill-primary', dir);
    await waitFor('paired', false);
    // Restarted with the primary down: it starts (after after_seconds) on the pair.
    other = await other.restart();
    assert.deepEqual(await healthz(other), { status: 'ok', sealed: false, storage: 'paired', writable: false });
    otherToken = await dataToken(other);  // issuing a token writes nothing
    const onOther = (method, name, body) => rawRequest({
      port: other.port, host: 'dev.vault.localhost', method, path: `/secrets/${name}?${API}`, token: otherToken, body,
    });
    const read = await onOther('GET', 'after-failback');
    assert.equal(read.status, 200, read.body);
    assert.equal(read.json.value, 'back');
    const refused = await onOther('PUT', 'started-on-pair', { value: 'x' });
    assert.equal(refused.status, 503, refused.body);
    assert.ok(refused.headers['retry-after']);
    assert.match(refused.json.error.message, /read-only/);
    // The primary returns: the node fails back and writes (adding its keyring term first).
    pair('start-primary', dir);
    await waitFor('primary', true, other);
    await waitFor('primary', true);
    const written = await onOther('PUT', 'started-on-pair', { value: 'written' });
    assert.equal(written.status, 200, written.body);
    assert.equal((await get('started-on-pair')).json.value, 'written');
  });

  test('operator failover promote makes the pair writable for good', async () => {
    pair('kill-primary', dir);
    await waitFor('paired', false);
    const promoted = await cliJson('operator', 'failover', 'promote', '--data-dir', server.dataDir);
    assert.deepEqual(promoted, { storage: 'paired', writable: true });
    assert.deepEqual(await healthz(), { status: 'ok', sealed: false, storage: 'paired', writable: true });
    const client = secretClient(server);
    await client.setSecret('after-promote', 'promoted');
    assert.equal((await client.getSecret('after-failback')).value, 'back');
    // The old primary comes back: the node stays on the promoted pair (the histories diverged).
    pair('start-primary', dir);
    await new Promise((r) => setTimeout(r, 1500));
    assert.deepEqual(await healthz(), { status: 'ok', sealed: false, storage: 'paired', writable: true });
    assert.equal((await client.getSecret('after-promote')).value, 'promoted');
  });

  test('the other node follows the promoted pair, and its caches hear the writes made there', async () => {
    // Its probe sees the pair out of recovery; its cache feed then listens on the pair, not on
    // the old primary (which is back, with a history of its own).
    await waitFor('paired', true, other);
    await vaultDeletionReachesTheOtherNode();
  });
});
