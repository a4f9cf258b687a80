// Key backup blobs: every version travels, the private keys work after restore, and the blob is
// bound to (subscription, geography) and to its kind (AZURE_API.md §9; DESIGN.md §1 "Backup /
// restore", §2 "Limits and bad input").
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { startServer } from '../support/server.mjs';
import { assertErrorEnvelope } from '../support/http.mjs';
import {
  secretClient, createVault, expectRestError, innerCode, collect, uniqueName,
} from '../support/azure.mjs';
import {
  keyClient, cryptoClientFor, keyRequest, b64u, publicKeyFromSdk, digestFor, verifyLocally,
} from '../support/keys.mjs';

let server;
let dev;
const vaults = {};
const RSA = 'bkrsa';
const EC = 'bkec';
const RSA_OPS = ['encrypt', 'decrypt', 'sign', 'verify', 'wrapKey', 'unwrapKey'];
let rsaBlob; // Buffer
let ecBlob; // Buffer
let rsaVersions; // [{props, key}] of the original, oldest first
let ecKey; // KeyVaultKey (latest) of the EC key
const message = Buffer.from('signed before the backup');
const pre = {}; // signatures made before the backup

before(async () => {
  server = await startServer();
  dev = keyClient(server);
  const sub0 = server.creds.subscriptions[0];
  const sub1 = server.creds.subscriptions[1];
  // dev lives in eastus (United States).
  const plan = {
    west: { location: 'westus', sub: sub0 }, // same subscription and geography
    west2: { location: 'westus', sub: sub0 }, // second same-geography target (EC key, kind swaps)
    europe: { location: 'westeurope', sub: sub0 }, // other geography
    othersub: { location: 'eastus', sub: sub1 }, // other subscription
  };
  for (const [key, { location, sub }] of Object.entries(plan)) {
    const name = uniqueName(key.slice(0, 6));
    await createVault(server, { name, location, sub });
    vaults[key] = { name, keys: keyClient(server, name), secrets: secretClient(server, name) };
  }

  // RSA key with three versions: tags, a disabled one, key_ops and exp differ per version.
  const v1 = await dev.createRsaKey(RSA, { keySize: 2048, keyOps: RSA_OPS, tags: { gen: '1' } });
  const v2 = await dev.createRsaKey(RSA, { keySize: 2048, keyOps: ['sign', 'verify'], expiresOn: new Date('2032-03-04T05:06:07Z') });
  const v3 = await dev.createRsaKey(RSA, { keySize: 2048, keyOps: RSA_OPS, tags: { gen: '3' } });
  pre.rsaV1 = (await cryptoClientFor(server, v1).sign('PS256', digestFor('PS256', message))).result;
  pre.rsaV3 = (await cryptoClientFor(server, v3).sign('RS256', digestFor('RS256', message))).result;
  pre.ct3 = crypto.publicEncrypt({
    key: publicKeyFromSdk(v3.key), padding: crypto.constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256',
  }, message);
  await dev.updateKeyProperties(RSA, v2.properties.version, { enabled: false, tags: { gen: '2' } });
  rsaVersions = [];
  for (const v of [v1, v2, v3]) {
    const props = (await collect(dev.listPropertiesOfKeyVersions(RSA))).find((p) => p.version === v.properties.version);
    rsaVersions.push({ props, key: v });
  }
  rsaBlob = Buffer.from(await dev.backupKey(RSA));

  ecKey = await dev.createEcKey(EC, { curve: 'P-256K' });
  pre.ec = (await cryptoClientFor(server, ecKey).sign('ES256K', digestFor('ES256K', message))).result;
  ecBlob = Buffer.from(await dev.backupKey(EC));
});
after(async () => { await server?.remove(); });

const enc = (buf) => Buffer.from(buf).toString('base64url');

/** POST /{coll}/restore on `vault` with a raw JSON body. */
const rawRestore = (vault, coll, body) => keyRequest(server, { vault, method: 'POST', path: `/${coll}/restore`, body });

describe('restore into a vault of the same subscription and geography', () => {
  test('every version comes back with its id, attributes, tags and key_ops, on the target host', async () => {
    const { name, keys } = vaults.west;
    const host = `${name}.vault.localhost:${server.port}`;
    const restored = await keys.restoreKeyBackup(rsaBlob);
    assert.equal(restored.name, RSA);
    assert.equal(new URL(restored.id).host, host);
    assert.equal(restored.properties.version, rsaVersions[2].key.properties.version, 'the answer is the latest version');

    const props = await collect(keys.listPropertiesOfKeyVersions(RSA));
    assert.equal(props.length, 3);
    for (const o of rsaVersions) {
      const r = props.find((p) => p.version === o.props.version);
      assert.ok(r, `version ${o.props.version} restored`);
      assert.equal(new URL(r.id).host, host);
      assert.equal(r.enabled, o.props.enabled);
      assert.deepEqual(r.tags ?? {}, o.props.tags ?? {});
      assert.equal(r.expiresOn?.getTime(), o.props.expiresOn?.getTime());
      assert.equal(r.createdOn?.getTime(), o.props.createdOn?.getTime());
      assert.equal(r.updatedOn?.getTime(), o.props.updatedOn?.getTime());
      const raw = await keyRequest(server, { vault: name, path: `/keys/${RSA}/${o.props.version}` });
      assert.equal(raw.status, 200, raw.body);
      assert.equal(raw.json.key.n, enc(o.key.key.n), 'same public key');
      assert.deepEqual([...raw.json.key.key_ops].sort(), [...o.key.keyOperations].sort(), 'same key_ops');
      for (const p of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k']) assert.equal(raw.json.key[p], undefined);
    }
  });

  test('signatures made before the backup verify with the restored key; the restored private keys sign and decrypt', async () => {
    const { keys } = vaults.west;
    const [v1, , v3] = rsaVersions.map((o) => o.key);
    const r1 = await keys.getKey(RSA, { version: v1.properties.version });
    const r3 = await keys.getKey(RSA);
    assert.equal((await cryptoClientFor(server, r1).verify('PS256', digestFor('PS256', message), pre.rsaV1)).result, true, 'v1 PS256');
    assert.equal((await keys.getCryptographyClient(RSA).verify('RS256', digestFor('RS256', message), pre.rsaV3)).result, true, 'latest RS256');

    const cc3 = keys.getCryptographyClient(RSA);
    const fresh = (await cc3.sign('RS512', digestFor('RS512', message))).result;
    assert.ok(verifyLocally('RS512', message, publicKeyFromSdk(v3.key), fresh), 'restored v3 signs like the original');
    assert.ok(Buffer.from((await cc3.decrypt('RSA-OAEP-256', pre.ct3)).result).equals(message), 'restored v3 decrypts');
    const freshV1 = (await cryptoClientFor(server, r1).sign('PS384', digestFor('PS384', message))).result;
    assert.ok(verifyLocally('PS384', message, publicKeyFromSdk(v1.key), freshV1), 'restored v1 signs');
    // And the original verifies what the restored key signed.
    assert.equal((await dev.getCryptographyClient(RSA).verify('RS512', digestFor('RS512', message), fresh)).result, true);
    assert.equal(r3.properties.version, v3.properties.version);
  });

  test('the restored disabled version stays disabled (operations → 403)', async () => {
    const { name } = vaults.west;
    const v2 = rsaVersions[1].props.version;
    const res = await keyRequest(server, {
      vault: name, method: 'POST', path: `/keys/${RSA}/${v2}/sign`, body: { alg: 'RS256', value: enc(digestFor('RS256', message)) },
    });
    assertErrorEnvelope(res, 403);
  });

  test('EC P-256K: a pre-backup signature verifies and the restored key signs', async () => {
    const { keys } = vaults.west2;
    const restored = await keys.restoreKeyBackup(ecBlob);
    assert.equal(restored.properties.version, ecKey.properties.version);
    assert.equal(enc(restored.key.x), enc(ecKey.key.x));
    assert.equal(enc(restored.key.y), enc(ecKey.key.y));
    const cc = keys.getCryptographyClient(EC);
    assert.equal((await cc.verify('ES256K', digestFor('ES256K', message), pre.ec)).result, true);
    const sig = (await cc.sign('ES256K', digestFor('ES256K', message))).result;
    assert.ok(verifyLocally('ES256K', message, publicKeyFromSdk(ecKey.key), sig));
  });
});

describe('restore across boundaries → 400, nothing written', () => {
  test('into another geography → 400 mentioning "geography"', async () => {
    const { keys } = vaults.europe;
    const err = await expectRestError(keys.restoreKeyBackup(rsaBlob), 400);
    assert.match(err.message, /geography/i);
    assert.deepEqual(await collect(keys.listPropertiesOfKeys()), []);
    assert.deepEqual(await collect(keys.listDeletedKeys()), []);
  });

  test('into another subscription → 400 mentioning "subscription"', async () => {
    const { keys } = vaults.othersub;
    const err = await expectRestError(keys.restoreKeyBackup(rsaBlob), 400);
    assert.match(err.message, /subscription/i);
    assert.deepEqual(await collect(keys.listPropertiesOfKeys()), []);
    assert.deepEqual(await collect(keys.listDeletedKeys()), []);
  });
});

describe('a blob of the other kind → 400', () => {
  test('a key blob into /secrets/restore → 400', async () => {
    const res = await rawRestore(vaults.west2.name, 'secrets', { value: enc(rsaBlob) });
    assert.notEqual(res.status, 500, res.body);
    assertErrorEnvelope(res, 400);
    assert.deepEqual(await collect(vaults.west2.secrets.listPropertiesOfSecrets()), []);
  });

  test('a secret blob into /keys/restore → 400', async () => {
    const secrets = secretClient(server);
    const sname = uniqueName('sbk');
    await secrets.setSecret(sname, 'a secret value');
    const secretBlob = Buffer.from(await secrets.backupSecret(sname));
    const res = await rawRestore(vaults.west2.name, 'keys', { value: enc(secretBlob) });
    assert.notEqual(res.status, 500, res.body);
    assertErrorEnvelope(res, 400);
    const names = (await collect(vaults.west2.keys.listPropertiesOfKeys())).map((p) => p.name);
    assert.ok(!names.includes(sname), 'no key made from a secret blob');
  });
});

describe('conflicts', () => {
  test('restore onto an existing name → 409, the occupant unchanged', async () => {
    const before = await dev.getKey(RSA);
    const err = await expectRestError(dev.restoreKeyBackup(rsaBlob), 409);
    assert.ok(err.message.length > 0);
    const now = await dev.getKey(RSA);
    assert.equal(now.properties.version, before.properties.version);
    assert.equal((await collect(dev.listPropertiesOfKeyVersions(RSA))).length, 3);
  });

  test('restore onto a soft-deleted name → 409', async () => {
    const { keys } = vaults.west2; // holds the restored EC key
    await keys.createEcKey(EC, { curve: 'P-256' }); // exists even if the earlier restore failed
    await (await keys.beginDeleteKey(EC, { intervalInMs: 50 })).pollUntilDone();
    const err = await expectRestError(keys.restoreKeyBackup(ecBlob), 409);
    assert.ok(innerCode(err) === 'ObjectIsDeletedButRecoverable' || /deleted/i.test(err.message), err.message);
  });
});

describe('tampered blobs → 400, never 500', () => {
  test('truncated, extended, bit-flipped, garbage', async () => {
    const target = vaults.europe.name; // any vault: these never get as far as the geography check
    const bodies = [
      ['empty', { value: '' }],
      ['truncated to half', { value: enc(rsaBlob.subarray(0, rsaBlob.length >> 1)) }],
      ['last byte dropped', { value: enc(rsaBlob.subarray(0, rsaBlob.length - 1)) }],
      ['one extra byte', { value: enc(Buffer.concat([rsaBlob, Buffer.from([0])])) }],
      ['not base64url', { value: '!!!' }],
      ['random bytes', { value: enc(crypto.randomBytes(400)) }],
      ['value a number', { value: 5 }],
      ['no value', {}],
    ];
    for (const pos of [0, 5, 40, rsaBlob.length >> 1, rsaBlob.length - 1]) {
      const flipped = Buffer.from(rsaBlob);
      flipped[pos] ^= 0x01;
      bodies.push([`bit flip at ${pos}`, { value: enc(flipped) }]);
    }
    for (const [what, body] of bodies) {
      const res = await rawRestore(target, 'keys', body);
      assert.notEqual(res.status, 500, `${what}: ${res.body}`);
      assert.equal(res.status, 400, `${what}: ${res.status} ${res.body.slice(0, 300)}`);
      assertErrorEnvelope(res, 400);
    }
  });
});
