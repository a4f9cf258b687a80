// Key rotation: on-demand rotateKey, the rotation policy (get before any policy, update,
// round trip, validation), and automatic rotation driven by the policy when the dev clock moves
// (AZURE_API.md §4.5; DESIGN.md §2 "Dev clock").
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { startServer } from '../support/server.mjs';
import { assertErrorEnvelope } from '../support/http.mjs';
import { expectRestError, collect, uniqueName, timeShift } from '../support/azure.mjs';
import {
  keyClient, cryptoClientFor, keyRequest, b64u, unb64u, publicKeyFromSdk, digestFor, verifyLocally, CURVE_BYTES,
} from '../support/keys.mjs';

let server;
let client;
let origin;
const DAY = 86_400;
const RSA_OPS = ['encrypt', 'decrypt', 'sign', 'verify', 'wrapKey', 'unwrapKey'];

before(async () => {
  server = await startServer();
  client = keyClient(server);
  origin = `https://dev.vault.localhost:${server.port}`;
});
after(async () => { await server?.remove(); });

const seconds = (d) => Math.round(d.getTime() / 1000);

// The key's versions once the sweeper has rotated it (two versions), polling for at most 15 s;
// fails if no rotation, or more than one, happened.
async function waitForRotation(keys, name) {
  const deadline = Date.now() + 15_000;
  let versions;
  for (;;) {
    versions = await collect(keys.listPropertiesOfKeyVersions(name));
    if (versions.length >= 2 || Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  assert.equal(versions.length, 2, `expected one automatic rotation within 15 s, saw ${versions.length} version(s)`);
  return versions;
}

// The version the sweeper made: created on the clock shifted by `shift` seconds, at least
// `dueAfter` seconds after v1, and expiring 90 days later (the policies' expiryTime P90D).
function rotatedVersion(versions, v1, shift, dueAfter) {
  const v2 = versions.find((v) => v.version !== v1.properties.version);
  assert.ok(v2, 'a new version');
  const created = seconds(v2.createdOn);
  const expectedCreated = seconds(v1.properties.createdOn) + shift;
  assert.ok(created >= seconds(v1.properties.createdOn) + dueAfter, `created ${created} is on the shifted clock, after the due time`);
  assert.ok(Math.abs(created - expectedCreated) <= 60, `created ${created} ≈ ${expectedCreated} (v1 created + shift)`);
  assert.ok(v2.expiresOn instanceof Date, 'the rotated version has exp');
  const life = seconds(v2.expiresOn) - created;
  assert.ok(Math.abs(life - 90 * DAY) <= 2, `exp - created = ${life} s, expected ${90 * DAY}`);
  return v2;
}

describe('rotateKey', () => {
  test('RSA 3072: a new version with the same kty and size', async () => {
    const name = uniqueName('rotr');
    const v1 = await client.createRsaKey(name, { keySize: 3072, keyOps: RSA_OPS });
    const v2 = await client.rotateKey(name);
    assert.equal(v2.name, name);
    assert.notEqual(v2.properties.version, v1.properties.version);
    assert.equal(v2.id, `${origin}/keys/${name}/${v2.properties.version}`);
    assert.equal(v2.keyType, 'RSA');
    assert.equal(v2.key.n.length, 384, 'same size (3072 bits)');
    assert.notDeepEqual([...v2.key.n], [...v1.key.n], 'new key material');
    assert.equal((await client.getKey(name)).properties.version, v2.properties.version, 'latest is the rotated version');
    const versions = await collect(client.listPropertiesOfKeyVersions(name));
    assert.deepEqual(versions.map((v) => v.version).sort(), [v1.properties.version, v2.properties.version].sort());
  });

  test('EC P-384 and P-256K: same curve, full-size coordinates', async () => {
    for (const crv of ['P-384', 'P-256K']) {
      const name = uniqueName('rote');
      const v1 = await client.createEcKey(name, { curve: crv });
      const v2 = await client.rotateKey(name);
      assert.equal(v2.keyType, 'EC');
      assert.equal(v2.key.crv, crv);
      assert.equal(v2.key.x.length, CURVE_BYTES[crv]);
      assert.equal(v2.key.y.length, CURVE_BYTES[crv]);
      assert.notDeepEqual([...v2.key.x], [...v1.key.x]);
    }
  });

  test('-HSM kty and oct keys keep their type', async () => {
    const r = await client.createRsaKey(uniqueName('rothsm'), { hsm: true, keySize: 2048 });
    const r2 = await client.rotateKey(r.name);
    assert.equal(r2.keyType, 'RSA-HSM');
    assert.equal(r2.key.n.length, 256);
    const o = await client.createOctKey(uniqueName('roto'), { hsm: true, keySize: 192 });
    const o2 = await client.rotateKey(o.name);
    assert.equal(o2.keyType, 'oct-HSM');
    assert.equal(o2.key.k, undefined);
    // Same size: a 192-bit key encrypts with A192GCM and nothing else.
    const enc = await keyRequest(server, {
      method: 'POST', path: `/keys/${o.name}/${o2.properties.version}/encrypt`, body: { alg: 'A192GCM', value: b64u(Buffer.from('x')) },
    });
    assert.equal(enc.status, 200, enc.body);
  });

  // The SDK (4.10.2) never sends `publicExponent`, so the key is created over raw HTTP.
  for (const [exp, eB64] of [[3, 'Aw'], [65539, 'AQAD']]) {
    test(`RSA with public_exponent ${exp}: the rotated version keeps e = ${eB64}`, async () => {
      const name = uniqueName('rote');
      const res = await keyRequest(server, {
        method: 'POST', path: `/keys/${name}/create`, body: { kty: 'RSA', key_size: 2048, public_exponent: exp, key_ops: RSA_OPS },
      });
      assert.equal(res.status, 200, res.body);
      assert.equal(res.json.key.e, eB64);
      const v2 = await client.rotateKey(name);
      assert.notEqual(v2.properties.version, res.json.key.kid.split('/').pop());
      assert.equal(b64u(v2.key.e), eB64, 'the rotated version has the same public exponent');
      assert.equal(v2.key.n.length, 256, 'and the same size');
      assert.notEqual(b64u(v2.key.n), res.json.key.n, 'new key material');
      const raw = await keyRequest(server, { path: `/keys/${name}/${v2.properties.version}` });
      assert.equal(raw.status, 200, raw.body);
      assert.equal(raw.json.key.e, eB64);
      // The rotated key works with that exponent: its signature verifies locally against (n, e).
      const message = Buffer.from('exponent check');
      const sig = (await cryptoClientFor(server, v2).sign('PS256', digestFor('PS256', message))).result;
      const pub = publicKeyFromSdk(v2.key);
      assert.equal(unb64u(pub.export({ format: 'jwk' }).e).readUIntBE(0, unb64u(eB64).length), exp);
      assert.ok(verifyLocally('PS256', message, pub, sig), 'the new version signs with e');
    });
  }

  test('rotate of an unknown key → 404', async () => {
    await expectRestError(client.rotateKey(uniqueName('norot')), 404);
  });
});

describe('rotation policy', () => {
  test('before any policy was set: 200, no Rotate action', async () => {
    const name = uniqueName('nopol');
    await client.createEcKey(name, { curve: 'P-256' });
    const p = await client.getKeyRotationPolicy(name);
    assert.ok(p, 'a policy object');
    if (p.id !== undefined) assert.equal(p.id, `${origin}/keys/${name}/rotationpolicy`);
    for (const a of p.lifetimeActions ?? []) assert.notEqual(a.action, 'Rotate', `unexpected default action ${JSON.stringify(a)}`);
  });

  test('policy of an unknown key → 404', async () => {
    await expectRestError(client.getKeyRotationPolicy(uniqueName('nopolkey')), 404);
    await expectRestError(client.updateKeyRotationPolicy(uniqueName('nopolkey'), {
      lifetimeActions: [{ action: 'Rotate', timeAfterCreate: 'P30D' }], expiresIn: 'P90D',
    }), 404);
  });

  test('update (Rotate P30D after create, expires P90D) round-trips; a default Notify may be appended', async () => {
    const name = uniqueName('pol');
    await client.createRsaKey(name, { keySize: 2048 });
    const set = await client.updateKeyRotationPolicy(name, {
      lifetimeActions: [{ action: 'Rotate', timeAfterCreate: 'P30D' }], expiresIn: 'P90D',
    });
    const check = (p, what) => {
      assert.equal(p.id, `${origin}/keys/${name}/rotationpolicy`, `${what}: id`);
      assert.equal(p.expiresIn, 'P90D', `${what}: expiresIn`);
      const rotate = p.lifetimeActions.filter((a) => a.action === 'Rotate');
      assert.equal(rotate.length, 1, `${what}: one Rotate action: ${JSON.stringify(p.lifetimeActions)}`);
      assert.equal(rotate[0].timeAfterCreate, 'P30D', `${what}: Rotate trigger`);
      assert.equal(rotate[0].timeBeforeExpiry, undefined, `${what}: no timeBeforeExpiry on the Rotate action`);
      for (const a of p.lifetimeActions) {
        assert.ok(a.action === 'Rotate' || a.action === 'Notify', `${what}: action ${a.action}`);
        if (a.action === 'Notify') assert.ok(a.timeBeforeExpiry, `${what}: a Notify action has timeBeforeExpiry`);
      }
      assert.ok(p.createdOn instanceof Date, `${what}: createdOn`);
      assert.ok(p.updatedOn instanceof Date, `${what}: updatedOn`);
    };
    check(set, 'PUT answer');
    check(await client.getKeyRotationPolicy(name), 'GET');
    check(await client.getKeyRotationPolicy(name.toUpperCase()), 'GET by another casing');
  });

  test('a later update replaces the policy; action type is case-insensitive on the wire', async () => {
    const name = uniqueName('pol2');
    await client.createEcKey(name, { curve: 'P-256' });
    await client.updateKeyRotationPolicy(name, { lifetimeActions: [{ action: 'Rotate', timeAfterCreate: 'P30D' }], expiresIn: 'P90D' });
    const res = await keyRequest(server, {
      method: 'PUT', path: `/keys/${name}/rotationpolicy`,
      body: {
        lifetimeActions: [{ trigger: { timeBeforeExpiry: 'P10D' }, action: { type: 'rotate' } }],
        attributes: { expiryTime: 'P60D' },
      },
    });
    assert.equal(res.status, 200, res.body);
    const p = await client.getKeyRotationPolicy(name);
    assert.equal(p.expiresIn, 'P60D');
    const rotate = p.lifetimeActions.filter((a) => a.action === 'Rotate');
    assert.equal(rotate.length, 1);
    assert.equal(rotate[0].timeBeforeExpiry, 'P10D');
    assert.equal(rotate[0].timeAfterCreate, undefined, 'the old trigger is gone');
  });

  test('invalid policies → 400 with the envelope, never 500', async () => {
    const name = uniqueName('polbad');
    await client.createEcKey(name, { curve: 'P-256' });
    const bad = [
      [{ lifetimeActions: [{ trigger: { timeAfterCreate: 'P30D' }, action: { type: 'Rotate' } }], attributes: { expiryTime: 'P10D' } }, 'expiryTime < 28 days'],
      [{ lifetimeActions: [{ trigger: { timeAfterCreate: 'thirty days' }, action: { type: 'Rotate' } }] }, 'not an ISO-8601 duration'],
      [{ lifetimeActions: [{ trigger: { timeAfterCreate: 'P30D' }, action: { type: 'Explode' } }] }, 'unknown action'],
      [{ lifetimeActions: [{ trigger: { timeAfterCreate: 'P30D' }, action: { type: 'Notify' } }] }, 'timeAfterCreate on Notify'],
      [{ lifetimeActions: 'Rotate' }, 'lifetimeActions not an array'],
      [{ attributes: { expiryTime: 90 } }, 'expiryTime a number'],
      [null, 'body null'],
    ];
    for (const [body, what] of bad) {
      const res = await keyRequest(server, { method: 'PUT', path: `/keys/${name}/rotationpolicy`, body });
      assert.notEqual(res.status, 500, `${what}: ${res.body}`);
      assert.equal(res.status, 400, `${what}: ${res.status} ${res.body.slice(0, 300)}`);
      assertErrorEnvelope(res, 400);
    }
  });

  test('manual rotateKey applies the policy expiry: exp = created + expiryTime', async () => {
    const name = uniqueName('polexp');
    await client.createEcKey(name, { curve: 'P-256' });
    await client.updateKeyRotationPolicy(name, {
      lifetimeActions: [{ action: 'Notify', timeBeforeExpiry: 'P30D' }], expiresIn: 'P60D',
    });
    const v2 = await client.rotateKey(name);
    assert.ok(v2.properties.expiresOn instanceof Date, 'rotated version has exp');
    const delta = seconds(v2.properties.expiresOn) - seconds(v2.properties.createdOn);
    assert.ok(Math.abs(delta - 60 * DAY) <= 2, `exp - created = ${delta} s, expected ${60 * DAY}`);
  });
});

describe('automatic rotation on the dev clock', () => {
  test('Rotate P30D after create: 31 days later a new version appears by itself with exp = created + 90 days', async () => {
    const name = uniqueName('auto');
    const control = uniqueName('ctrl'); // no policy: must not rotate
    const v1 = await client.createRsaKey(name, { keySize: 2048, keyOps: RSA_OPS });
    const c1 = await client.createRsaKey(control, { keySize: 2048 });
    await client.updateKeyRotationPolicy(name, {
      lifetimeActions: [{ action: 'Rotate', timeAfterCreate: 'P30D' }], expiresIn: 'P90D',
    });

    // Material made with v1 before the rotation.
    const message = Buffer.from('signed before the rotation');
    const digest = digestFor('RS256', message);
    const sig1 = (await cryptoClientFor(server, v1).sign('RS256', digest)).result;
    const ct1 = crypto.publicEncrypt({
      key: publicKeyFromSdk(v1.key), padding: crypto.constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256',
    }, message);

    // Nothing happens before the trigger.
    assert.equal((await collect(client.listPropertiesOfKeyVersions(name))).length, 1);

    const offset = await timeShift(server, 31 * DAY);
    assert.ok(offset >= 31 * DAY, `offset ${offset}`);

    // Only listPropertiesOfKeyVersions from here on.
    const versions = await waitForRotation(client, name);
    const v2 = rotatedVersion(versions, v1, offset, 30 * DAY);

    const latest = await client.getKey(name);
    assert.equal(latest.properties.version, v2.version);
    assert.equal(latest.keyType, 'RSA');
    assert.equal(latest.key.n.length, 256, 'same size');

    // The control key (no policy) did not rotate.
    const ctrlVersions = await collect(client.listPropertiesOfKeyVersions(control));
    assert.deepEqual(ctrlVersions.map((v) => v.version), [c1.properties.version], 'a key without a policy does not rotate');

    // The old version still verifies and decrypts; the new one does not verify the old signature.
    const cc1 = cryptoClientFor(server, v1);
    assert.equal((await cc1.verify('RS256', digest, sig1)).result, true, 'old signature verifies on v1');
    assert.ok(Buffer.from((await cc1.decrypt('RSA-OAEP-256', ct1)).result).equals(message), 'v1 still decrypts');
    const onLatest = await keyRequest(server, {
      method: 'POST', path: `/keys/${name}//verify`, body: { alg: 'RS256', digest: b64u(digest), value: b64u(sig1) },
    });
    assert.equal(onLatest.status, 200, onLatest.body);
    assert.equal(onLatest.json.value, false);
    const sig2 = (await client.getCryptographyClient(name).sign('RS256', digest)).result;
    assert.ok(verifyLocally('RS256', message, publicKeyFromSdk(latest.key), sig2), 'the new version signs');

    // No second rotation right after the first (its own 30 days have not passed).
    await new Promise((r) => setTimeout(r, 2_000));
    assert.equal((await collect(client.listPropertiesOfKeyVersions(name))).length, 2, 'rotated exactly once');
  });

  test('Rotate P7D before expiry: a key with exp rotates by itself once the dev clock is within 7 days of exp', async () => {
    const name = uniqueName('autoexp');
    const control = uniqueName('ctrlexp'); // same exp, no policy: must not rotate
    const v1 = await client.createRsaKey(name, { keySize: 2048, keyOps: RSA_OPS });
    const c1 = await client.createRsaKey(control, { keySize: 2048 });
    // exp 30 days after creation on the server's (already shifted) clock.
    const exp = new Date((seconds(v1.properties.createdOn) + 30 * DAY) * 1000);
    await client.updateKeyProperties(name, v1.properties.version, { expiresOn: exp });
    await client.updateKeyProperties(control, c1.properties.version, { expiresOn: exp });
    const set = await client.updateKeyRotationPolicy(name, {
      lifetimeActions: [{ action: 'Rotate', timeBeforeExpiry: 'P7D' }], expiresIn: 'P90D',
    });
    const rotate = set.lifetimeActions.filter((a) => a.action === 'Rotate');
    assert.deepEqual(rotate.map((a) => [a.timeBeforeExpiry, a.timeAfterCreate]), [['P7D', undefined]], JSON.stringify(set.lifetimeActions));

    const message = Buffer.from('signed before the expiry-driven rotation');
    const digest = digestFor('PS384', message);
    const sig1 = (await cryptoClientFor(server, v1).sign('PS384', digest)).result;

    // Due at exp - 7 days = created + 23 days. At created + 22 days nothing happens.
    const start = await timeShift(server, 0);
    await timeShift(server, 22 * DAY);
    await new Promise((r) => setTimeout(r, 2_500)); // the sweeper runs every second and on each shift
    assert.equal((await collect(client.listPropertiesOfKeyVersions(name))).length, 1, 'no rotation 8 days before exp');

    const offset = await timeShift(server, 2 * DAY); // created + 24 days: 6 days before exp
    assert.equal(offset - start, 24 * DAY);
    const versions = await waitForRotation(client, name);
    const v2 = rotatedVersion(versions, v1, offset - start, 23 * DAY);

    const latest = await client.getKey(name);
    assert.equal(latest.properties.version, v2.version);
    assert.equal(latest.key.n.length, 256, 'same size');
    const old = await client.getKey(name, { version: v1.properties.version });
    assert.equal(seconds(old.properties.expiresOn), seconds(exp), 'the old version keeps its exp');

    const ctrlVersions = await collect(client.listPropertiesOfKeyVersions(control));
    assert.deepEqual(ctrlVersions.map((v) => v.version), [c1.properties.version], 'a key without a policy does not rotate');

    // The old version still verifies its signature (locally and on the server); the new one does not.
    assert.ok(verifyLocally('PS384', message, publicKeyFromSdk(v1.key), sig1), 'old signature verifies locally');
    assert.equal((await cryptoClientFor(server, v1).verify('PS384', digest, sig1)).result, true, 'old signature verifies on v1');
    const onLatest = await keyRequest(server, {
      method: 'POST', path: `/keys/${name}//verify`, body: { alg: 'PS384', digest: b64u(digest), value: b64u(sig1) },
    });
    assert.equal(onLatest.status, 200, onLatest.body);
    assert.equal(onLatest.json.value, false, 'the rotated version does not verify the old signature');

    // The new version is due only 7 days before its own exp (83 days away): no second rotation.
    await new Promise((r) => setTimeout(r, 2_000));
    assert.equal((await collect(client.listPropertiesOfKeyVersions(name))).length, 2, 'rotated exactly once');
  });
});
