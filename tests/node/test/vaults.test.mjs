// The ARM-shaped management plane (DESIGN.md §2 "Management plane"), raw and through
// @azure/arm-keyvault, and vault routing by host name.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../support/server.mjs';
import { rawRequest, assertErrorEnvelope, withApi } from '../support/http.mjs';
import {
  ARM_API, armClient, collect, dataToken, mgmtRequest, putVault, secretClient, uniqueName, vaultPath,
} from '../support/azure.mjs';

let server;
let sub0;
let sub1;
before(async () => {
  server = await startServer();
  [sub0, sub1] = server.creds.subscriptions;
});
after(async () => { await server?.remove(); });

/** ARM errors carry {error: {code, message}} too. */
function assertArmError(res, statuses, what) {
  const allowed = Array.isArray(statuses) ? statuses : [statuses];
  assert.ok(allowed.includes(res.status), `${what}: expected ${allowed}, got ${res.status} ${res.body.slice(0, 300)}`);
  assert.equal(typeof res.json?.error?.message, 'string', `${what}: error message: ${res.body.slice(0, 300)}`);
  assert.ok(res.json.error.message.length > 0);
  return res.json.error;
}

describe('vault lifecycle over raw HTTPS', () => {
  const name = uniqueName('raw');
  const path = () => `${vaultPath(sub0, 'rg-raw', name)}?${ARM_API}`;

  test('PUT creates (201) a vault resource with the documented shape', async () => {
    const res = await putVault(server, { name, rg: 'rg-raw', location: 'westus' });
    assert.equal(res.status, 201, res.body);
    const v = res.json;
    assert.equal(v.id.toLowerCase(), vaultPath(sub0, 'rg-raw', name).toLowerCase());
    assert.equal(v.name, name);
    assert.equal(v.type, 'Microsoft.KeyVault/vaults');
    assert.equal(v.location, 'westus');
    const p = v.properties;
    assert.equal(p.tenantId, server.creds.tenantId);
    assert.deepEqual({ family: p.sku.family, name: p.sku.name }, { family: 'A', name: 'standard' });
    const uri = new URL(p.vaultUri);
    assert.equal(uri.hostname, `${name}.vault.localhost`);
    assert.equal(uri.port, String(server.port));
    assert.equal(p.softDeleteRetentionInDays, 90);
    assert.notEqual(p.enablePurgeProtection, true);
    assert.equal(typeof p.enableRbacAuthorization, 'boolean');
    assert.equal(p.provisioningState, 'Succeeded');
  });

  test('PUT again updates (200); GET returns it', async () => {
    const res = await putVault(server, { name, rg: 'rg-raw', location: 'westus' });
    assert.equal(res.status, 200, res.body);
    const got = await mgmtRequest(server, { path: path() });
    assert.equal(got.status, 200, got.body);
    assert.equal(got.json.name, name);
    assert.equal(got.json.location, 'westus');
  });

  test('listed by subscription and by resource group, not under another group', async () => {
    const bySub = await mgmtRequest(server, { path: `/subscriptions/${sub0}/providers/Microsoft.KeyVault/vaults?${ARM_API}` });
    assert.equal(bySub.status, 200, bySub.body);
    assert.ok(Array.isArray(bySub.json.value));
    assert.ok(bySub.json.value.some((v) => v.name === name), 'in the subscription list');
    assert.ok(bySub.json.value.some((v) => v.name === 'dev'), 'the dev vault is in the first subscription');
    const byRg = await mgmtRequest(server, {
      path: `/subscriptions/${sub0}/resourceGroups/rg-raw/providers/Microsoft.KeyVault/vaults?${ARM_API}`,
    });
    assert.equal(byRg.status, 200, byRg.body);
    assert.deepEqual(byRg.json.value.map((v) => v.name), [name]);
    const other = await mgmtRequest(server, {
      path: `/subscriptions/${sub0}/resourceGroups/rg-empty/providers/Microsoft.KeyVault/vaults?${ARM_API}`,
    });
    assert.equal(other.status, 200, other.body);
    assert.deepEqual(other.json.value, []);
    const sub1List = await mgmtRequest(server, { path: `/subscriptions/${sub1}/providers/Microsoft.KeyVault/vaults?${ARM_API}` });
    assert.ok(!sub1List.json.value.some((v) => v.name === name), 'not in the other subscription');
  });

  test('PATCH tags and purge protection; purge protection cannot be turned off; retention is fixed', async () => {
    const tagged = await mgmtRequest(server, { method: 'PATCH', path: path(), body: { tags: { env: 'test' } } });
    assert.equal(tagged.status, 200, tagged.body);
    assert.deepEqual(tagged.json.tags, { env: 'test' });
    const on = await mgmtRequest(server, { method: 'PATCH', path: path(), body: { properties: { enablePurgeProtection: true } } });
    assert.equal(on.status, 200, on.body);
    assert.equal(on.json.properties.enablePurgeProtection, true);
    const off = await mgmtRequest(server, { method: 'PATCH', path: path(), body: { properties: { enablePurgeProtection: false } } });
    assertArmError(off, [400, 409], 'turning purge protection off');
    assert.match(off.json.error.message, /purge/i);
    const offPut = await putVault(server, { name, rg: 'rg-raw', location: 'westus', properties: { enablePurgeProtection: false } });
    assertArmError(offPut, [400, 409], 'turning purge protection off with PUT');
    const retention = await mgmtRequest(server, { method: 'PATCH', path: path(), body: { properties: { softDeleteRetentionInDays: 30 } } });
    assertArmError(retention, [400, 409], 'changing retention');
    assert.match(retention.json.error.message, /retention/i);
    const still = await mgmtRequest(server, { path: path() });
    assert.equal(still.json.properties.enablePurgeProtection, true);
    assert.equal(still.json.properties.softDeleteRetentionInDays, 90);
  });

  test('a created vault is reachable by host name with SecretClient', async () => {
    const client = secretClient(server, name);
    const s = await client.setSecret('hello', 'world');
    assert.equal(new URL(s.properties.id).host, `${name}.vault.localhost:${server.port}`);
    assert.equal((await client.getSecret('hello')).value, 'world');
    assert.equal(s.properties.recoveryLevel, 'Recoverable', 'purge protection shows in recoveryLevel');
  });

  test('DELETE removes it (200/204); GET → 404; its host → 404 VaultNotFound', async () => {
    const del = await mgmtRequest(server, { method: 'DELETE', path: path() });
    assert.ok([200, 204].includes(del.status), `${del.status} ${del.body}`);
    const got = await mgmtRequest(server, { path: path() });
    assertArmError(got, 404, 'GET after DELETE');
    const data = await rawRequest({
      port: server.port, host: `${name}.vault.localhost`, token: await dataToken(server), path: withApi('/secrets'),
    });
    assertErrorEnvelope(data, 404, 'VaultNotFound');
  });
});

describe('validation', () => {
  test('invalid names → 400', async () => {
    for (const bad of ['ab', '-abc', 'abc-', 'a--b', '1abc', 'a_bc', 'a'.repeat(25)]) {
      assertArmError(await putVault(server, { name: bad }), 400, `name ${bad}`);
    }
    assert.equal((await putVault(server, { name: `a${'b'.repeat(23)}` })).status, 201, '24 chars is fine');
    assert.equal((await putVault(server, { name: 'a1-b' })).status, 201, '3-24 chars with a hyphen is fine');
  });

  test('unknown location → 400', async () => {
    assertArmError(await putVault(server, { name: uniqueName('loc'), location: 'nowhere' }), 400, 'location nowhere');
  });

  test('retention outside 7–90 → 400; 7 and 90 accepted', async () => {
    for (const days of [6, 91, 0, -1]) {
      assertArmError(await putVault(server, { name: uniqueName('ret'), properties: { softDeleteRetentionInDays: days } }), 400, `retention ${days}`);
    }
    for (const days of [7, 90]) {
      const res = await putVault(server, { name: uniqueName('ret'), properties: { softDeleteRetentionInDays: days } });
      assert.equal(res.status, 201, res.body);
      assert.equal(res.json.properties.softDeleteRetentionInDays, days);
    }
  });

  test('a name taken in another subscription → 409; the owner is untouched', async () => {
    const name = uniqueName('taken');
    assert.equal((await putVault(server, { name, sub: sub0, location: 'eastus' })).status, 201);
    assertArmError(await putVault(server, { name, sub: sub1, location: 'westus' }), 409, 'name taken');
    assertArmError(await putVault(server, { name: name.toUpperCase(), sub: sub1 }), 409, 'name taken, other casing');
    const owner = await mgmtRequest(server, { path: `${vaultPath(sub0, 'rg1', name)}?${ARM_API}` });
    assert.equal(owner.json.location, 'eastus');
  });

  test('a vault host that does not exist → 404 VaultNotFound', async () => {
    const res = await rawRequest({
      port: server.port, host: 'nosuchvault.vault.localhost', token: await dataToken(server), path: withApi('/secrets'),
    });
    assertErrorEnvelope(res, 404, 'VaultNotFound');
  });
});

describe('@azure/arm-keyvault', () => {
  const name = uniqueName('arm');
  let client;
  before(() => { client = armClient(server); });

  test('createOrUpdate, get, update, list, delete', async () => {
    const created = await client.vaults.createOrUpdate('rg-arm', name, {
      location: 'northeurope',
      properties: { tenantId: server.creds.tenantId, sku: { family: 'A', name: 'standard' }, softDeleteRetentionInDays: 30 },
    });
    assert.equal(created.name, name);
    assert.equal(created.location, 'northeurope');
    assert.equal(created.properties.softDeleteRetentionInDays, 30);
    assert.equal(created.properties.provisioningState, 'Succeeded');

    const got = await client.vaults.get('rg-arm', name);
    assert.equal(got.id.toLowerCase(), vaultPath(sub0, 'rg-arm', name).toLowerCase());
    assert.equal(new URL(got.properties.vaultUri).hostname, `${name}.vault.localhost`);

    const updated = await client.vaults.update('rg-arm', name, { tags: { via: 'arm' } });
    assert.deepEqual(updated.tags, { via: 'arm' });

    const bySub = await collect(client.vaults.listBySubscription());
    assert.ok(bySub.some((v) => v.name === name));
    const byRg = await collect(client.vaults.listByResourceGroup('rg-arm'));
    assert.deepEqual(byRg.map((v) => v.name), [name]);

    await client.vaults.delete('rg-arm', name);
    await assert.rejects(client.vaults.get('rg-arm', name), (err) => err.statusCode === 404);
  });

  test('errors surface as RestErrors with the status', async () => {
    await assert.rejects(
      client.vaults.createOrUpdate('rg-arm', 'a--b', {
        location: 'eastus', properties: { tenantId: server.creds.tenantId, sku: { family: 'A', name: 'standard' } },
      }),
      (err) => err.statusCode === 400,
    );
  });
});
