// An interrupted whole-vault backup (CONTRACT.md "Whole-vault backup and restore"; issue 9
// "Bad input and faults lose nothing"): the server is killed with SIGKILL right after it
// accepted POST /backup, while the job is reading a 24 MB vault. After a restart on the same
// data dir the job must not look complete: the node knows (its node-id) that the job died with
// its earlier run, so the job is Failed with JobInterrupted at once, never Succeeded; its content
// is refused with a 4xx, and the vault itself is unchanged. A new backup of the same vault is not
// held up by the dead job, succeeds and restores every secret.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { startServer, limitsConfig } from '../support/server.mjs';
import { rawRequest } from '../support/http.mjs';
import { secretClient, createVault, dataToken, pollUntil } from '../support/azure.mjs';

const API = 'api-version=7.6';
const COUNT = 1200;
const VALUE_BYTES = 20_000;
let server;
// Azure's default of 300 secret creates per 10 s would make the set-up take 40 s.
const config = limitsConfig({ secret_create: 100000 });

before(async () => {
  server = await startServer({ args: ['--config', config] });
  const client = secretClient(server);
  await client.setSecret('warmup', 'w');
  let next = 0;
  await Promise.all(Array.from({ length: 16 }, async () => {
    for (let i = next++; i < COUNT; i = next++) {
      await client.setSecret(`big-${i}`, crypto.randomBytes(VALUE_BYTES / 2).toString('hex'));
    }
  }));
});
after(async () => { await server?.remove(); });

async function call(vault, method, pathAndQuery, body) {
  return rawRequest({
    port: server.port, host: `${vault}.vault.localhost`, method, path: pathAndQuery,
    token: await dataToken(server), body,
  });
}

test('a backup killed mid-way leaves no job or archive that looks complete', async () => {
  const started = await call('dev', 'POST', `/backup?${API}`);
  assert.equal(started.status, 202, started.body);
  const poll = new URL(started.headers['azure-asyncoperation']);
  const jobId = poll.pathname.split('/')[2];
  const info = await server.kill();
  assert.equal(info.signal, 'SIGKILL');
  server = await startServer({ dataDir: server.dataDir, args: ['--config', config] });

  const status = await call('dev', 'GET', poll.pathname + poll.search);
  assert.equal(status.status, 200, status.body);
  assert.equal(status.json.status, 'Failed', JSON.stringify(status.json));
  assert.equal(status.json.error?.code, 'JobInterrupted', JSON.stringify(status.json));
  const content = await call('dev', 'GET', `/backup/${jobId}/content?${API}`);
  assert.ok(content.status >= 400 && content.status < 500, `content answered ${content.status}`);
  assert.ok(content.json?.error?.message, content.body);

  // The vault is as it was: every secret still there.
  const client = secretClient(server);
  let listed = 0;
  for await (const p of client.listPropertiesOfSecrets()) if (p.name.startsWith('big-')) listed += 1;
  assert.equal(listed, COUNT);
});

test('after the interruption a new backup of the vault succeeds and restores every secret', async () => {
  const started = await call('dev', 'POST', `/backup?${API}`);
  assert.equal(started.status, 202, started.body);
  const poll = new URL(started.headers['azure-asyncoperation']);
  const done = await pollUntil(async () => {
    const r = await call('dev', 'GET', poll.pathname + poll.search);
    assert.equal(r.status, 200, r.body);
    return r.json.status === 'InProgress' ? null : r.json;
  }, { timeoutMs: 60_000, what: 'backup after the kill' });
  assert.equal(done.status, 'Succeeded', JSON.stringify(done));
  const content = await call('dev', 'GET', `/backup/${done.jobId}/content?${API}`);
  assert.equal(content.status, 200);
  await createVault(server, { name: 'after-kill-copy' });
  const restore = await call('after-kill-copy', 'PUT', `/restore?${API}`, content.bytes);
  assert.equal(restore.status, 202, restore.body);
  const rpoll = new URL(restore.headers['azure-asyncoperation']);
  const restored = await pollUntil(async () => {
    const r = await call('after-kill-copy', 'GET', rpoll.pathname + rpoll.search);
    return r.json?.status === 'InProgress' ? null : r.json;
  }, { timeoutMs: 120_000, what: 'restore after the kill' });
  assert.equal(restored.status, 'Succeeded', JSON.stringify(restored));
  assert.equal(restored.restored, COUNT + 1);  // and the warm-up secret
  const copy = secretClient(server, 'after-kill-copy');
  assert.equal((await copy.getSecret('big-7')).value, (await secretClient(server).getSecret('big-7')).value);
});
