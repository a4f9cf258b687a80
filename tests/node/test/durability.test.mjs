// Acknowledged writes survive kill -9 (DESIGN.md §3 "Storage engines": no call is acknowledged
// before its batch's COMMIT has been fsync'd), and a restart keeps the CA, signing key, client
// secret, vaults and objects, on another port.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { SecretClient } from '@azure/keyvault-secrets';
import { startServer } from '../support/server.mjs';
import { credentialFor, collect, expectRestError, VAULT_SCOPE } from '../support/azure.mjs';

const COUNT = 200;
const PARALLEL = 64;
const DELETED = 10;

let first;
let second;
const expected = new Map(); // name -> {value, version}
let deletedNames = [];

before(async () => { first = await startServer(); });
after(async () => {
  await first?.stop();
  if (second) await second.remove();
  else await first?.remove();
});

/** `n` warmed SecretClients sharing one credential, so each owns its own connection. */
async function warmedClients(server, n) {
  const credential = credentialFor(server.creds);
  const clients = [];
  for (let i = 0; i < n; i += 1) clients.push(new SecretClient(server.creds.vaultUrl, credential));
  await clients[0].setSecret('warmup', 'w');
  // Each client must finish its own challenge before concurrent use (AZURE_API.md §2.1).
  await Promise.all(clients.map((c) => c.getSecret('warmup')));
  return clients;
}

/** Runs `work(i, client)` for i in [0, count) on `clients`, each client one request at a time. */
async function fanOut(clients, count, work) {
  let next = 0;
  const errors = [];
  await Promise.all(clients.map(async (client) => {
    for (let i = next++; i < count; i = next++) {
      try { await work(i, client); } catch (err) { errors.push(`#${i}: ${err.statusCode ?? ''} ${err.message}`); }
    }
  }));
  assert.deepEqual(errors, [], `${errors.length} requests failed`);
}

describe('kill -9 and restart', () => {
  test(`${COUNT} secrets set over ${PARALLEL} connections are all acknowledged`, async () => {
    const clients = await warmedClients(first, PARALLEL);
    for (let i = 0; i < COUNT; i += 1) {
      // Values of varied size and content, up to the 25,600-byte limit.
      const size = 1 + ((i * 7919) % 25_600);
      expected.set(`dur-${i}`, { value: crypto.randomBytes(Math.ceil(size / 2)).toString('hex').slice(0, size) });
    }
    const names = [...expected.keys()];
    await fanOut(clients, COUNT, async (i, client) => {
      const s = await client.setSecret(names[i], expected.get(names[i]).value);
      assert.equal(s.value, expected.get(names[i]).value);
      expected.get(names[i]).version = s.properties.version;
    });
    assert.ok([...expected.values()].every((e) => /^[0-9a-f]{32}$/.test(e.version)));

    deletedNames = names.slice(0, DELETED);
    await fanOut(clients.slice(0, DELETED), DELETED, async (i, client) => {
      await (await client.beginDeleteSecret(deletedNames[i], { updateIntervalInMs: 50 })).pollUntilDone();
    });
  });

  test('after kill -9 and a restart on another port, every value is exact', async () => {
    const oldCreds = first.creds;
    const oldCa = fs.readFileSync(oldCreds.caFile, 'utf8');
    const info = await first.kill();
    assert.equal(info.signal, 'SIGKILL');
    second = await startServer({ dataDir: first.dataDir });
    assert.equal(second.creds.tenantId, oldCreds.tenantId);
    assert.equal(second.creds.clientId, oldCreds.clientId);
    assert.equal(second.creds.clientSecret, oldCreds.clientSecret);
    assert.deepEqual(second.creds.subscriptions, oldCreds.subscriptions);
    assert.equal(second.creds.vaultUrl, `https://dev.vault.localhost:${second.port}`);
    assert.equal(fs.readFileSync(second.creds.caFile, 'utf8'), oldCa, 'the CA is kept');

    const clients = await warmedClients(second, 16);
    const live = [...expected.keys()].filter((n) => !deletedNames.includes(n));
    await fanOut(clients, live.length, async (i, client) => {
      const got = await client.getSecret(live[i]);
      assert.equal(got.value, expected.get(live[i]).value, `${live[i]} value`);
      assert.equal(got.properties.version, expected.get(live[i]).version, `${live[i]} version`);
    });
  });

  test('the soft-deleted ones are still soft-deleted', async () => {
    const client = new SecretClient(second.creds.vaultUrl, credentialFor(second.creds));
    const deleted = (await collect(client.listDeletedSecrets())).map((d) => d.name).filter((n) => n.startsWith('dur-'));
    assert.deepEqual(deleted.sort(), [...deletedNames].sort());
    for (const name of deletedNames) {
      await expectRestError(client.getSecret(name), 404);
      assert.equal((await client.getDeletedSecret(name)).properties.version, expected.get(name).version);
    }
  });

  test('the same client secret still gets a token from the restarted server', async () => {
    const t = await credentialFor({ ...second.creds, clientSecret: first.creds.clientSecret }).getToken(VAULT_SCOPE);
    assert.ok(t.token.length > 0);
  });
});
