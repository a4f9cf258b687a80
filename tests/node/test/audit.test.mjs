// The audit log as an operator sees it (CONTRACT.md "Audit log", "Deleted vaults"): every
// request of both planes is a line of <data-dir>/audit.jsonl with who, what, which object and
// the status, and no value or token; when the file cannot be written the server answers 503
// (fail-closed) and recovers when it can. Also: a deleted vault is purged by the sweeper at the
// end of its retention (dev clock). The in-process C++ tests (src/api/app_audit_test.cc) cover
// the line format; this file covers the real file and the real server.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startServer } from '../support/server.mjs';
import {
  armClient, collect, createVault, dataToken, expectRestError, mgmtToken, pollUntil, secretClient,
  timeShift, uniqueName,
} from '../support/azure.mjs';
import { rawRequest } from '../support/http.mjs';

const DAY = 86_400;
let server;
before(async () => { server = await startServer(); });
after(async () => { await server?.remove(); });

const auditFile = () => path.join(server.dataDir, 'audit.jsonl');
const lines = () => fs.readFileSync(auditFile(), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));

describe('audit.jsonl', () => {
  test('every request is a line; values and tokens never appear', async () => {
    const client = secretClient(server);
    const name = uniqueName('audited');
    const value = `v-${uniqueName('needle')}-s3cr3t`;
    await client.setSecret(name, value);
    assert.equal((await client.getSecret(name)).value, value);
    const denied = await rawRequest({ port: server.port, path: `/secrets/${name}?api-version=7.6` });
    assert.equal(denied.status, 401);
    await collect(armClient(server).vaults.listBySubscription());
    const text = fs.readFileSync(auditFile(), 'utf8');
    assert.ok(!text.includes(value), 'no secret value in the audit log');
    assert.ok(!text.includes((await dataToken(server)).slice(20, 80)), 'no data token');
    assert.ok(!text.includes((await mgmtToken(server)).slice(20, 80)), 'no management token');
    const all = lines();
    // The SDK's first request carries no token (the challenge flow): a 401 line, then the 200.
    const set = all.find((l) => l.operation === 'Microsoft.KeyVault/vaults/secrets/setSecret/action' && l.object?.name === name && l.status === 200);
    assert.ok(set, 'the set is recorded');
    assert.equal(set.status, 200);
    assert.equal(set.plane, 'data');
    assert.equal(set.vault, 'dev');
    assert.equal(set.object.kind, 'secret');
    assert.equal(set.caller.oid, JSON.parse(Buffer.from((await dataToken(server)).split('.')[1], 'base64url')).oid);
    assert.equal(typeof set.requestId, 'string');
    assert.equal(typeof set.durationMs, 'number');
    assert.match(set.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    assert.ok(all.some((l) => l.status === 401 && l.caller === null), 'the refused request is recorded');
    assert.ok(all.some((l) => l.plane === 'management' && l.operation === 'Microsoft.KeyVault/vaults/read'));
    const mode = fs.statSync(auditFile()).mode & 0o777;
    assert.equal(mode, 0o600, 'the audit file is private');
  });

  test('an audit log that cannot be written answers 503; writing again recovers', async () => {
    await secretClient(server).setSecret('before', 'x');
    const token = await dataToken(server);
    const get = () => rawRequest({ port: server.port, path: '/secrets/before?api-version=7.6', token });
    assert.equal((await get()).status, 200);
    // Remove the file and put a directory at its path: the server reopens the path and fails
    // (it checks the path at most every 100 ms).
    fs.rmSync(auditFile());
    fs.mkdirSync(auditFile());
    try {
      const refused = await pollUntil(async () => {
        const res = await get();
        return res.status === 503 ? res : null;
      }, { timeoutMs: 5_000, intervalMs: 20, what: '503 from an unwritable audit log' });
      assert.match(refused.json.error.message, /audit/);
      assert.ok(!refused.body.includes('"value"'), 'the refused answer carries no value');
    } finally {
      fs.rmdirSync(auditFile());
    }
    // The path is writable again: requests are served (and recorded) again.
    await pollUntil(async () => (await get()).status === 200,
      { timeoutMs: 5_000, intervalMs: 20, what: 'service after the audit log is back' });
    assert.ok(lines().some((l) => l.object?.name === 'before' && l.status === 200));
  });
});

describe('deleted vault expiry', () => {
  test('the sweeper purges a deleted vault at the end of its retention (dev clock)', async () => {
    const arm = armClient(server);
    const name = uniqueName('exp');
    await createVault(server, { name, properties: { softDeleteRetentionInDays: 7 } });
    await arm.vaults.delete('rg1', name);
    assert.ok((await collect(arm.vaults.listDeleted())).some((v) => v.name === name));
    await timeShift(server, 8 * DAY);
    await pollUntil(async () => !(await collect(arm.vaults.listDeleted())).some((v) => v.name === name),
      { timeoutMs: 10_000, intervalMs: 250, what: `${name} purged by the sweeper` });
    await expectRestError(arm.vaults.getDeleted(name, 'eastus'), 404);
    assert.equal((await arm.vaults.checkNameAvailability({ name, type: 'Microsoft.KeyVault/vaults' })).nameAvailable, true);
  });
});
