// Per-object backup blobs: bound to (subscription, geography), tamper-evident, never a crash
// (DESIGN.md §1 "Backup / restore", §2 "Limits and bad input").
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { KeyClient } from '@azure/keyvault-keys';
import { startServer } from '../support/server.mjs';
import { rawRequest, assertErrorEnvelope } from '../support/http.mjs';
import {
  secretClient, createVault, credentialFor, dataToken, vaultUrl, expectRestError, innerCode, collect, uniqueName,
} from '../support/azure.mjs';

let server;
let dev;
const vaults = {};
const NAME = 'multi';
let blob; // Buffer
let original; // [{version, value?, props}]

before(async () => {
  server = await startServer();
  dev = secretClient(server);
  const sub0 = server.creds.subscriptions[0];
  const sub1 = server.creds.subscriptions[1];
  // dev lives in eastus (United States).
  const plan = {
    west: { location: 'westus', sub: sub0 }, // same subscription, same geography, other region
    europe: { location: 'westeurope', sub: sub0 }, // same subscription, other geography
    othersub: { location: 'eastus', sub: sub1 }, // other subscription, same region
    tamper: { location: 'eastus', sub: sub0 }, // empty target for tampered blobs
  };
  for (const [key, { location, sub }] of Object.entries(plan)) {
    const name = uniqueName(key.slice(0, 6));
    await createVault(server, { name, location, sub });
    vaults[key] = { name, client: secretClient(server, name) };
  }

  await dev.setSecret(NAME, 'first', { tags: { gen: '1' }, contentType: 'text/plain' });
  const second = await dev.setSecret(NAME, 'second', { expiresOn: new Date('2031-06-01T00:00:00Z') });
  await dev.updateSecretProperties(NAME, second.properties.version, { enabled: false, tags: { gen: '2' } });
  await dev.setSecret(NAME, 'third', { tags: { gen: '3' }, contentType: 'application/json' });
  original = [];
  for (const p of await collect(dev.listPropertiesOfSecretVersions(NAME))) {
    original.push({
      version: p.version,
      props: p,
      value: p.enabled ? (await dev.getSecret(NAME, { version: p.version })).value : undefined,
    });
  }
  assert.equal(original.length, 3);
  blob = Buffer.from(await dev.backupSecret(NAME));
});
after(async () => { await server?.remove(); });

/** POST /secrets/restore on `vault` with a raw JSON body (object, string or Buffer). */
async function rawRestore(vault, body) {
  return rawRequest({
    port: server.port, host: `${vault}.vault.localhost`, method: 'POST',
    path: '/secrets/restore?api-version=7.6', token: await dataToken(server), body,
  });
}

const enc = (buf) => Buffer.from(buf).toString('base64url');

function assertSameVersions(restoredProps, targetVault) {
  assert.equal(restoredProps.length, original.length);
  for (const o of original) {
    const r = restoredProps.find((p) => p.version === o.version);
    assert.ok(r, `version ${o.version} restored`);
    assert.equal(new URL(r.id).host, `${targetVault}.vault.localhost:${server.port}`);
    assert.equal(r.name, NAME);
    assert.equal(r.enabled, o.props.enabled);
    assert.deepEqual(r.tags ?? {}, o.props.tags ?? {});
    assert.equal(r.contentType, o.props.contentType);
    assert.equal(r.expiresOn?.getTime(), o.props.expiresOn?.getTime());
    assert.equal(r.createdOn?.getTime(), o.props.createdOn?.getTime());
    assert.equal(r.updatedOn?.getTime(), o.props.updatedOn?.getTime());
  }
}

describe('restore across vaults', () => {
  test('into a vault of the same subscription and geography: every version, ids on the target host', async () => {
    const { name, client } = vaults.west;
    const restored = await client.restoreSecretBackup(blob);
    assert.equal(new URL(restored.id).host, `${name}.vault.localhost:${server.port}`);
    assert.equal(restored.name, NAME);
    assertSameVersions(await collect(client.listPropertiesOfSecretVersions(NAME)), name);
    for (const o of original) {
      if (o.value !== undefined) assert.equal((await client.getSecret(NAME, { version: o.version })).value, o.value);
      else await expectRestError(client.getSecret(NAME, { version: o.version }), 403);
    }
    assert.equal((await client.getSecret(NAME)).value, 'third');
  });

  test('into another geography → 400 mentioning "geography", nothing written', async () => {
    const { client } = vaults.europe;
    const err = await expectRestError(client.restoreSecretBackup(blob), 400);
    assert.match(err.message, /geography/i);
    assert.deepEqual(await collect(client.listPropertiesOfSecrets()), []);
    assert.deepEqual(await collect(client.listDeletedSecrets()), []);
  });

  test('into another subscription → 400 mentioning "subscription", nothing written', async () => {
    const { client } = vaults.othersub;
    const err = await expectRestError(client.restoreSecretBackup(blob), 400);
    assert.match(err.message, /subscription/i);
    assert.deepEqual(await collect(client.listPropertiesOfSecrets()), []);
    assert.deepEqual(await collect(client.listDeletedSecrets()), []);
  });
});

describe('conflicts', () => {
  test('name in use → 409 and the occupant is unchanged', async () => {
    const occupant = await dev.getSecret(NAME);
    const err = await expectRestError(dev.restoreSecretBackup(blob), 409);
    assert.ok(err.message.length > 0);
    const now = await dev.getSecret(NAME);
    assert.equal(now.value, occupant.value);
    assert.equal(now.properties.version, occupant.properties.version);
    assert.equal((await collect(dev.listPropertiesOfSecretVersions(NAME))).length, original.length);
  });

  test('name soft-deleted → 409', async () => {
    const { client } = vaults.west; // holds a restored copy from the first test
    await client.setSecret(NAME, 'occupied'); // exists even if the first test failed
    await (await client.beginDeleteSecret(NAME, { updateIntervalInMs: 50 })).pollUntilDone();
    const err = await expectRestError(client.restoreSecretBackup(blob), 409);
    assert.ok(innerCode(err) === 'ObjectIsDeletedButRecoverable' || /deleted/i.test(err.message), err.message);
  });
});

describe('tampered and malformed blobs → 400 with the error envelope, never 500', () => {
  async function expect400(body, what) {
    const res = await rawRestore(vaults.tamper.name, body);
    assert.notEqual(res.status, 500, `${what}: 500 ${res.body}`);
    assertErrorEnvelope(res, 400);
    return res;
  }

  test('empty, truncated and extended blobs', async () => {
    const empty = await expect400({ value: '' }, 'empty');
    // Azure's exact message for a blob that is not a backup (the SDKs' own tests compare it).
    assert.equal(empty.json.error.message, 'Backup blob contains invalid or corrupt version.');
    const garbage = await expect400({ value: enc(Buffer.from('not a backup at all')) }, 'garbage');
    assert.equal(garbage.json.error.message, 'Backup blob contains invalid or corrupt version.');
    // The real blob re-encoded as standard base64 is refused: base64url only. (Its standard
    // form has '+', '/' or '=' but for a chance of about 1e-6 for a blob this long.)
    const standard = blob.toString('base64');
    if (/[+/=]/.test(standard)) await expect400({ value: standard }, 'standard base64 of a real blob');
    const cuts = [1, 4, 8, 16, 32, 64, Math.floor(blob.length / 2), blob.length - 17, blob.length - 16, blob.length - 1];
    for (const cut of cuts) {
      if (cut > 0 && cut < blob.length) await expect400({ value: enc(blob.subarray(0, cut)) }, `truncated at ${cut}`);
    }
    await expect400({ value: enc(Buffer.concat([blob, Buffer.from([0])])) }, 'one extra byte');
    await expect400({ value: enc(Buffer.concat([blob, blob])) }, 'blob twice');
  });

  test('bit flips across header and ciphertext', async () => {
    const n = 20;
    for (let i = 0; i < n; i += 1) {
      const pos = Math.floor((i * (blob.length - 1)) / (n - 1));
      const flipped = Buffer.from(blob);
      flipped[pos] ^= 1 << (i % 8);
      await expect400({ value: enc(flipped) }, `bit ${i % 8} of byte ${pos}`);
    }
  });

  test('not base64url, wrong JSON types, garbage', async () => {
    await expect400({ value: '!!!' }, 'not base64url');
    await expect400({ value: 5 }, 'value is a number');
    await expect400({ value: null }, 'value null');
    await expect400({}, 'no value');
    await expect400({ value: enc(crypto.randomBytes(300)) }, 'random bytes');
    await expect400({ value: enc(Buffer.from('AzureKeyVaultSecretBackupV1.microsoft.com')) }, 'foreign magic');
    await expect400(crypto.randomBytes(200), 'garbage body');
    await expect400('{"value":', 'truncated JSON');
  });

  test('a blob whose kind is key (docs/formats/backup-blob.md, offset 5) → 400 naming the kind', async () => {
    const other = Buffer.from(blob);
    other[5] = 2; // object kind: key
    const res = await expect400({ value: enc(other) }, 'kind byte set to key');
    assert.match(res.json.error.message, /key/i);
  });

  test('a blob of another kind (key backup) → 400', async () => {
    const keys = new KeyClient(vaultUrl(server, 'dev'), credentialFor(server.creds));
    const keyName = uniqueName('kbk');
    await keys.createEcKey(keyName, { curve: 'P-256' });
    const keyBlob = Buffer.from(await keys.backupKey(keyName));
    await expect400({ value: enc(keyBlob) }, 'key blob restored as a secret');
  });

  test('control: the untouched blob restores into the same target (so the 400s were the tampering)', async () => {
    const res = await rawRestore(vaults.tamper.name, { value: enc(blob) });
    assert.equal(res.status, 200, res.body);
    assert.equal(new URL(res.json.id).host, `${vaults.tamper.name}.vault.localhost:${server.port}`);
  });
});
