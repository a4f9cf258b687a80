// Keys through the unmodified @azure/keyvault-keys KeyClient on the dev vault: create (RSA, EC,
// oct, -HSM variants), import, get, update, list, soft delete, names, rng, and bad input over raw
// HTTP (AZURE_API.md §4, §6, §7; DESIGN.md §1 "Keys", §2).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { limitsConfig, startServer } from '../support/server.mjs';
import { assertErrorEnvelope } from '../support/http.mjs';
import { expectRestError, innerCode, collect, uniqueName } from '../support/azure.mjs';
import {
  keyClient, keyRequest, b64u, unb64u, assertNoPrivateParts, nodeJwkToSdk, publicKeyFromSdk,
  localRsa, localEc, CURVE_BYTES, digestFor, verifyLocally,
} from '../support/keys.mjs';

let server;
let client;
let origin;
const FAST = { intervalInMs: 50 };
const VERSION_RE = /^[0-9a-f]{32}$/;
const B64URL_RE = /^[A-Za-z0-9_-]*$/;
const ALL_RSA_OPS = ['encrypt', 'decrypt', 'sign', 'verify', 'wrapKey', 'unwrapKey'];

before(async () => {
  // This file creates dozens of keys within seconds, raw requests included (no retry); Azure's
  // 20 key creates per 10 s are tested in throttling.test.mjs.
  server = await startServer({ args: ['--config', limitsConfig({ key_create: 100000 })] });
  client = keyClient(server);
  origin = `https://dev.vault.localhost:${server.port}`;
});
after(async () => { await server?.remove(); });

/** Common checks on a freshly created/imported KeyVaultKey. */
function assertKeyShape(k, name, kty) {
  assert.equal(k.name, name);
  assert.equal(k.keyType, kty);
  assert.equal(k.key.kty, kty);
  assert.match(k.properties.version, VERSION_RE);
  assert.equal(k.id, `${origin}/keys/${name}/${k.properties.version}`);
  assert.equal(k.key.kid, k.id);
  assert.equal(k.properties.vaultUrl, origin);
  assert.equal(k.properties.enabled, true);
  assert.ok(k.properties.createdOn instanceof Date, 'createdOn');
  assert.ok(k.properties.updatedOn instanceof Date, 'updatedOn');
  assert.equal(k.properties.recoveryLevel, 'Recoverable+Purgeable');
  assert.equal(k.properties.recoverableDays, 90);
  for (const p of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k']) assert.equal(k.key[p], undefined, `private part ${p} returned`);
}

function assertRsaPublic(k, bits) {
  assert.equal(k.key.n.length, bits / 8, `modulus of ${bits} bits is ${bits / 8} bytes, no leading zero`);
  assert.ok(k.key.n[0] & 0x80, 'modulus has its top bit set (no leading zero byte, full size)');
  publicKeyFromSdk(k.key); // parses as an RSA public key
}

function assertEcPublic(k, crv) {
  assert.equal(k.key.crv, crv);
  assert.equal(k.key.x.length, CURVE_BYTES[crv], `${crv} x is ${CURVE_BYTES[crv]} bytes (got ${k.key.x.length})`);
  assert.equal(k.key.y.length, CURVE_BYTES[crv], `${crv} y is ${CURVE_BYTES[crv]} bytes (got ${k.key.y.length})`);
  publicKeyFromSdk(k.key); // the point is on the curve (node:crypto refuses otherwise)
}

describe('create', () => {
  for (const bits of [2048, 3072, 4096]) {
    test(`RSA ${bits}: modulus size, e = 65537, default key_ops, ids on the request host`, async () => {
      const name = uniqueName(`rsa${bits}`);
      const k = await client.createRsaKey(name, { keySize: bits });
      assertKeyShape(k, name, 'RSA');
      assertRsaPublic(k, bits);
      assert.deepEqual([...k.key.e], [1, 0, 1], 'e = AQAB');
      assert.deepEqual([...k.keyOperations].sort(), [...ALL_RSA_OPS].sort(), 'default RSA key_ops');
    });
  }

  test('RSA without key_size → 2048 bits', async () => {
    const name = uniqueName('rsadef');
    const k = await client.createKey(name, 'RSA');
    assertRsaPublic(k, 2048);
  });

  // The SDK (4.10.2) declares `publicExponent` but createKey never sends it, so the exponent
  // is exercised over raw HTTP: `public_exponent` of KeyCreateParameters.
  for (const [exp, eB64] of [[3, 'Aw'], [65537, 'AQAB']]) {
    test(`RSA public_exponent ${exp} → JWK e = ${eB64} (raw POST /keys/{n}/create)`, async () => {
      const name = uniqueName('rsaexp');
      const res = await keyRequest(server, {
        method: 'POST', path: `/keys/${name}/create`, body: { kty: 'RSA', key_size: 2048, public_exponent: exp },
      });
      assert.equal(res.status, 200, res.body);
      assert.equal(res.json.key.e, eB64);
      assert.equal(unb64u(res.json.key.n).length, 256);
      assertNoPrivateParts(res.json.key);
      const got = await client.getKey(name);
      assert.equal(b64u(got.key.e), eB64);
    });
  }

  for (const crv of ['P-256', 'P-384', 'P-521', 'P-256K']) {
    test(`EC ${crv}: coordinates of exactly ${CURVE_BYTES[crv]} bytes`, async () => {
      const name = uniqueName('ec');
      const k = await client.createEcKey(name, { curve: crv });
      assertKeyShape(k, name, 'EC');
      assertEcPublic(k, crv);
      assert.deepEqual([...k.keyOperations].sort(), ['sign', 'verify']);
    });
  }

  test('EC without crv → P-256', async () => {
    const k = await client.createKey(uniqueName('ecdef'), 'EC');
    assertEcPublic(k, 'P-256');
  });

  test('many P-521 keys: x and y are always 66 bytes (left-padded coordinates)', async () => {
    // A P-521 coordinate has a zero top byte about half the time; an unpadded encoding shows up
    // as 65 (or fewer) bytes within a few keys.
    const name = uniqueName('p521');
    const sizes = [];
    for (let i = 0; i < 16; i += 1) {
      const k = await client.createEcKey(name, { curve: 'P-521' });
      sizes.push(`${k.key.x.length}/${k.key.y.length}`);
      assertEcPublic(k, 'P-521');
    }
    assert.equal((await collect(client.listPropertiesOfKeyVersions(name))).length, 16);
    assert.ok(sizes.every((s) => s === '66/66'), sizes.join(' '));
  });

  for (const bits of [128, 192, 256]) {
    test(`oct-HSM ${bits} (createOctKey hsm: true): kty echoed, k never returned`, async () => {
      const name = uniqueName(`oct${bits}`);
      const k = await client.createOctKey(name, { hsm: true, keySize: bits });
      assertKeyShape(k, name, 'oct-HSM');
      assert.equal(k.key.k, undefined);
      const raw = await keyRequest(server, { path: `/keys/${name}/${k.properties.version}` });
      assert.equal(raw.status, 200, raw.body);
      assert.equal(raw.json.key.kty, 'oct-HSM');
      assertNoPrivateParts(raw.json.key);
    });
  }

  test('oct (no -HSM) is accepted and echoed', async () => {
    const name = uniqueName('octsw');
    const k = await client.createOctKey(name, { keySize: 256 });
    assertKeyShape(k, name, 'oct');
  });

  test('RSA-HSM and EC-HSM are accepted and echoed', async () => {
    const r = await client.createRsaKey(uniqueName('rsahsm'), { hsm: true, keySize: 2048 });
    assert.equal(r.keyType, 'RSA-HSM');
    assertRsaPublic(r, 2048);
    const e = await client.createEcKey(uniqueName('echsm'), { hsm: true, curve: 'P-384' });
    assert.equal(e.keyType, 'EC-HSM');
    assertEcPublic(e, 'P-384');
    assert.equal((await client.getKey(r.name)).keyType, 'RSA-HSM');
    assert.equal((await client.getKey(e.name)).keyType, 'EC-HSM');
  });

  test('attributes, tags and key_ops given at creation are echoed', async () => {
    const name = uniqueName('attrs');
    const nbf = new Date('2020-01-02T03:04:05Z');
    const exp = new Date('2037-05-06T07:08:09Z'); // < 2038: the SDK sends `(ms / 1000) | 0`
    const k = await client.createRsaKey(name, {
      keySize: 2048, keyOps: ['sign', 'verify'], tags: { team: 'blue', env: 'ci' }, notBefore: nbf, expiresOn: exp,
    });
    assert.deepEqual([...k.keyOperations].sort(), ['sign', 'verify']);
    assert.deepEqual(k.properties.tags, { team: 'blue', env: 'ci' });
    assert.equal(k.properties.notBefore.getTime(), nbf.getTime());
    assert.equal(k.properties.expiresOn.getTime(), exp.getTime());
    const got = await client.getKey(name);
    assert.deepEqual([...got.keyOperations].sort(), ['sign', 'verify']);
    assert.deepEqual(got.properties.tags, { team: 'blue', env: 'ci' });
    assert.equal(got.properties.expiresOn.getTime(), exp.getTime());
  });

  test('timestamps beyond 2038 round-trip as 64-bit Unix seconds (raw HTTP; the SDK truncates to int32)', async () => {
    const name = uniqueName('y2100');
    const exp = 4_102_444_800; // 2100-01-01
    const res = await keyRequest(server, {
      method: 'POST', path: `/keys/${name}/create`, body: { kty: 'EC', attributes: { exp, nbf: 2_200_000_000 } },
    });
    assert.equal(res.status, 200, res.body);
    assert.equal(res.json.attributes.exp, exp);
    assert.equal(res.json.attributes.nbf, 2_200_000_000);
    const got = await keyRequest(server, { path: `/keys/${name}/` });
    assert.equal(got.json.attributes.exp, exp);
  });

  test('create on an existing name makes a new version', async () => {
    const name = uniqueName('twice');
    const a = await client.createEcKey(name, { curve: 'P-256' });
    const b = await client.createEcKey(name, { curve: 'P-256' });
    assert.notEqual(a.properties.version, b.properties.version);
    assert.notDeepEqual([...a.key.x], [...b.key.x]);
    assert.equal((await client.getKey(name)).properties.version, b.properties.version);
  });
});

describe('import', () => {
  test('RSA JWK with private parts: public parts echoed, the server signs with the imported key', async () => {
    const local = localRsa(2048);
    const name = uniqueName('imprsa');
    const k = await client.importKey(name, nodeJwkToSdk(local.jwk));
    assertKeyShape(k, name, 'RSA');
    assert.equal(b64u(k.key.n), local.jwk.n);
    assert.equal(b64u(k.key.e), local.jwk.e);
    const msg = Buffer.from('imported rsa');
    const signed = await client.getCryptographyClient(name).sign('RS256', digestFor('RS256', msg));
    assert.ok(verifyLocally('RS256', msg, local.publicKey, signed.result), 'server signature verifies with the local public key');
  });

  test('RSA 4096 JWK import', async () => {
    const local = localRsa(4096);
    const k = await client.importKey(uniqueName('imprsa4k'), nodeJwkToSdk(local.jwk));
    assertRsaPublic(k, 4096);
    assert.equal(b64u(k.key.n), local.jwk.n);
  });

  for (const crv of ['P-256', 'P-384', 'P-521', 'P-256K']) {
    test(`EC ${crv} JWK with d: x/y echoed at full size, the server signs with it`, async () => {
      const local = localEc(crv);
      const name = uniqueName('impec');
      const k = await client.importKey(name, nodeJwkToSdk(local.jwk));
      assertKeyShape(k, name, 'EC');
      assertEcPublic(k, crv);
      assert.equal(b64u(k.key.x), local.jwk.x);
      assert.equal(b64u(k.key.y), local.jwk.y);
      const alg = { 'P-256': 'ES256', 'P-384': 'ES384', 'P-521': 'ES512', 'P-256K': 'ES256K' }[crv];
      const msg = Buffer.from(`imported ${crv}`);
      const signed = await client.getCryptographyClient(name).sign(alg, digestFor(alg, msg));
      assert.ok(verifyLocally(alg, msg, local.publicKey, signed.result), `${alg} signature verifies locally`);
    });
  }

  for (const bytes of [16, 24, 32]) {
    test(`oct JWK k of ${bytes} bytes: k never echoed`, async () => {
      const name = uniqueName('impoct');
      const k = await client.importKey(name, { kty: 'oct', k: new Uint8Array(crypto.randomBytes(bytes)) });
      assertKeyShape(k, name, 'oct');
      const raw = await keyRequest(server, { path: `/keys/${name}/` });
      assert.equal(raw.status, 200, raw.body);
      assertNoPrivateParts(raw.json.key);
    });
  }

  test('oct-HSM JWK import: kty echoed as oct-HSM (SDK and raw PUT, GET), k never returned; the imported k is used', async () => {
    const k = crypto.randomBytes(32);
    const name = uniqueName('impocth');
    const imp = await client.importKey(name, { kty: 'oct-HSM', k: new Uint8Array(k) });
    assertKeyShape(imp, name, 'oct-HSM');
    assert.deepEqual([...imp.keyOperations].sort(), ['decrypt', 'encrypt', 'unwrapKey', 'wrapKey'], 'default oct key_ops');
    const got = await keyRequest(server, { path: `/keys/${name}/` });
    assert.equal(got.status, 200, got.body);
    assert.equal(got.json.key.kty, 'oct-HSM');
    assertNoPrivateParts(got.json.key);

    const rawName = uniqueName('impocthr');
    const put = await keyRequest(server, { method: 'PUT', path: `/keys/${rawName}`, body: { key: { kty: 'oct-HSM', k: b64u(k) } } });
    assert.equal(put.status, 200, put.body);
    assert.equal(put.json.key.kty, 'oct-HSM');
    assertNoPrivateParts(put.json.key);

    // Hsm: true on an oct-HSM JWK keeps oct-HSM; on an oct JWK it makes oct-HSM.
    const both = await client.importKey(uniqueName('impocthh'), { kty: 'oct-HSM', k: new Uint8Array(k) }, { hardwareProtected: true });
    assert.equal(both.keyType, 'oct-HSM');
    const flag = await client.importKey(uniqueName('impoctf'), { kty: 'oct', k: new Uint8Array(k) }, { hardwareProtected: true });
    assert.equal(flag.keyType, 'oct-HSM');

    // The server encrypts with the imported k: A256GCM decrypts locally.
    const msg = Buffer.from('oct-HSM import');
    const enc = await keyRequest(server, { method: 'POST', path: `/keys/${name}//encrypt`, body: { alg: 'A256GCM', value: b64u(msg) } });
    assert.equal(enc.status, 200, enc.body);
    const d = crypto.createDecipheriv('aes-256-gcm', k, unb64u(enc.json.iv));
    d.setAuthTag(unb64u(enc.json.tag));
    assert.ok(Buffer.concat([d.update(unb64u(enc.json.value)), d.final()]).equals(msg));
  });

  test('import with Hsm: true (hardwareProtected) → kty echoed with -HSM', async () => {
    const r = await client.importKey(uniqueName('imphsm'), nodeJwkToSdk(localRsa(2048).jwk), { hardwareProtected: true });
    assert.equal(r.keyType, 'RSA-HSM');
    const e = await client.importKey(uniqueName('imphsme'), nodeJwkToSdk(localEc('P-256').jwk), { hardwareProtected: true });
    assert.equal(e.keyType, 'EC-HSM');
  });

  test('a name of 127 characters is accepted', async () => {
    const name = `k${'x'.repeat(120)}${uniqueName('').slice(-6)}`.slice(0, 127);
    assert.equal(name.length, 127);
    const k = await client.createEcKey(name, { curve: 'P-256' });
    assert.equal(k.name, name);
  });

  test('import with attributes and tags; import again → a new version', async () => {
    const name = uniqueName('impattr');
    const a = await client.importKey(name, nodeJwkToSdk(localEc('P-256').jwk), {
      tags: { src: 'local' }, enabled: true, expiresOn: new Date('2037-01-01T00:00:00Z'),
    });
    assert.deepEqual(a.properties.tags, { src: 'local' });
    assert.equal(a.properties.expiresOn.getTime(), Date.parse('2037-01-01T00:00:00Z'));
    const b = await client.importKey(name, nodeJwkToSdk(localEc('P-256').jwk));
    assert.notEqual(a.properties.version, b.properties.version);
    assert.equal((await collect(client.listPropertiesOfKeyVersions(name))).length, 2);
  });

  describe('inconsistent or incomplete keys → 400', () => {
    async function expectImport400(jwk, what) {
      const name = uniqueName('badimp');
      const err = await expectRestError(client.importKey(name, jwk), 400);
      assert.ok(err.message.length > 0, `${what}: empty message`);
      await expectRestError(client.getKey(name), 404); // nothing stored
      return err;
    }

    test('RSA d from another key (full CRT set of the first key)', async () => {
      const a = localRsa(2048).jwk;
      const b = localRsa(2048).jwk;
      await expectImport400(nodeJwkToSdk({ ...a, d: b.d }), 'RSA d swapped, CRT kept');
    });

    test('RSA d from another key (n, e, d only)', async () => {
      const a = localRsa(2048).jwk;
      const b = localRsa(2048).jwk;
      await expectImport400(nodeJwkToSdk({ kty: 'RSA', n: a.n, e: a.e, d: b.d }), 'RSA n/e/d with a foreign d');
    });

    test('RSA p and q of another key', async () => {
      const a = localRsa(2048).jwk;
      const b = localRsa(2048).jwk;
      await expectImport400(nodeJwkToSdk({ ...a, p: b.p, q: b.q }), 'RSA foreign p/q');
    });

    test('RSA without d (public key only)', async () => {
      const a = localRsa(2048).jwk;
      await expectImport400(nodeJwkToSdk({ kty: 'RSA', n: a.n, e: a.e }), 'RSA missing d');
    });

    test('EC d from another key of the same curve', async () => {
      for (const crv of ['P-256', 'P-521']) {
        const a = localEc(crv).jwk;
        const b = localEc(crv).jwk;
        await expectImport400(nodeJwkToSdk({ ...a, d: b.d }), `${crv} foreign d`);
      }
    });

    test('EC without d', async () => {
      const a = localEc('P-384').jwk;
      await expectImport400(nodeJwkToSdk({ kty: 'EC', crv: a.crv, x: a.x, y: a.y }), 'EC missing d');
    });

    test('EC point not on the curve', async () => {
      const a = localEc('P-256').jwk;
      const y = unb64u(a.y);
      y[y.length - 1] ^= 1;
      await expectImport400(nodeJwkToSdk({ ...a, y: b64u(y) }), 'EC y off the curve');
    });

    test('EC d of the wrong curve size', async () => {
      const a = localEc('P-256').jwk;
      const d384 = localEc('P-384').jwk.d;
      await expectImport400(nodeJwkToSdk({ ...a, d: d384 }), 'P-256 key with a 48-byte d');
    });

    test('oct without k, or k of 20 bytes', async () => {
      await expectImport400({ kty: 'oct' }, 'oct missing k');
      await expectImport400({ kty: 'oct', k: new Uint8Array(20) }, 'oct k of 20 bytes');
    });
  });
});

describe('get', () => {
  test('latest and by version; unknown version or name → 404', async () => {
    const name = uniqueName('get');
    const v1 = await client.createEcKey(name, { curve: 'P-256' });
    const v2 = await client.createEcKey(name, { curve: 'P-256' });
    const latest = await client.getKey(name);
    assert.equal(latest.properties.version, v2.properties.version);
    assert.deepEqual([...latest.key.x], [...v2.key.x]);
    const old = await client.getKey(name, { version: v1.properties.version });
    assert.equal(old.id, v1.id);
    assert.deepEqual([...old.key.x], [...v1.key.x]);
    await expectRestError(client.getKey(name, { version: '0'.repeat(32) }), 404);
    await expectRestError(client.getKey(uniqueName('nosuchkey')), 404, 'KeyNotFound');
  });

  test('raw GET (latest, versioned, trailing slash) never returns d, p, q, dp, dq, qi or k', async () => {
    const rsa = localRsa(2048);
    const ec = localEc('P-256');
    const names = {
      rsa: (await client.importKey(uniqueName('privr'), nodeJwkToSdk(rsa.jwk))),
      ec: (await client.importKey(uniqueName('prive'), nodeJwkToSdk(ec.jwk))),
      oct: (await client.importKey(uniqueName('privo'), { kty: 'oct', k: new Uint8Array(crypto.randomBytes(32)) })),
      gen: (await client.createRsaKey(uniqueName('privg'), { keySize: 2048 })),
    };
    for (const [what, k] of Object.entries(names)) {
      for (const path of [`/keys/${k.name}`, `/keys/${k.name}/`, `/keys/${k.name}/${k.properties.version}`]) {
        const res = await keyRequest(server, { path });
        assert.equal(res.status, 200, `${what} ${path}: ${res.status} ${res.body}`);
        assertNoPrivateParts(res.json.key, `${what} GET ${path}`);
        assert.equal(res.json.key.kid, k.id);
      }
      // Nor does the PATCH answer or the versions list.
      const patched = await keyRequest(server, { method: 'PATCH', path: `/keys/${k.name}/`, body: { tags: { x: '1' } } });
      assert.equal(patched.status, 200, patched.body);
      assertNoPrivateParts(patched.json.key, `${what} PATCH`);
      const versions = await keyRequest(server, { path: `/keys/${k.name}/versions` });
      assert.equal(versions.status, 200, versions.body);
      for (const item of versions.json.value) {
        assert.equal(item.key, undefined, 'list items carry no key');
        assert.match(item.kid, new RegExp(`/keys/${k.name}/[0-9a-f]{32}$`));
      }
    }
  });
});

describe('update properties', () => {
  test('keyOps, enabled, tags on a version; PATCH on the latest (empty version) keeps tags', async () => {
    const name = uniqueName('upd');
    const v1 = await client.createRsaKey(name, { keySize: 2048 });
    const v2 = await client.createRsaKey(name, { keySize: 2048, tags: { gen: '2' } });
    // KeyClient.updateKeyProperties answers a KeyVaultKey (not KeyProperties).
    const updated = await client.updateKeyProperties(name, v2.properties.version, {
      keyOps: ['sign', 'verify'], enabled: false, tags: { env: 'test', owner: 'me' },
    });
    const p = updated.properties;
    assert.equal(p.version, v2.properties.version);
    assert.equal(p.enabled, false);
    assert.deepEqual(p.tags, { env: 'test', owner: 'me' });
    assert.deepEqual([...updated.keyOperations].sort(), ['sign', 'verify']);
    const versions = await collect(client.listPropertiesOfKeyVersions(name));
    assert.equal(versions.find((v) => v.version === v2.properties.version).enabled, false);
    assert.equal(versions.find((v) => v.version === v1.properties.version).enabled, true, 'other versions untouched');

    const re = (await client.updateKeyProperties(name, { enabled: true })).properties; // PATCH /keys/{n}/
    assert.equal(re.version, v2.properties.version);
    assert.equal(re.enabled, true);
    assert.deepEqual(re.tags, { env: 'test', owner: 'me' }, 'tags kept by a PATCH without tags');
    const got = await client.getKey(name);
    assert.deepEqual([...got.keyOperations].sort(), ['sign', 'verify']);
    assert.deepEqual(got.properties.tags, { env: 'test', owner: 'me' });
    const old = await client.getKey(name, { version: v1.properties.version });
    assert.deepEqual([...old.keyOperations].sort(), [...ALL_RSA_OPS].sort(), 'v1 key_ops untouched');
  });

  test('nbf and exp update; the key material is unchanged', async () => {
    const name = uniqueName('updt');
    const k = await client.createEcKey(name, { curve: 'P-384' });
    const exp = new Date('2037-12-31T00:00:00Z'); // the SDK truncates dates to int32 seconds (`| 0`)
    const nbf = new Date('2021-01-01T00:00:00Z');
    const p = (await client.updateKeyProperties(name, k.properties.version, { expiresOn: exp, notBefore: nbf })).properties;
    assert.equal(p.expiresOn.getTime(), exp.getTime());
    assert.equal(p.notBefore.getTime(), nbf.getTime());
    const got = await client.getKey(name);
    assert.deepEqual([...got.key.x], [...k.key.x]);
    assert.ok(got.properties.updatedOn.getTime() >= k.properties.updatedOn.getTime());
  });

  test('update of an unknown key or version → 404', async () => {
    await expectRestError(client.updateKeyProperties(uniqueName('nokey'), { enabled: false }), 404);
    const k = await client.createEcKey(uniqueName('updv'), { curve: 'P-256' });
    await expectRestError(client.updateKeyProperties(k.name, 'f'.repeat(32), { enabled: false }), 404);
  });
});

describe('listing', () => {
  test('listPropertiesOfKeys pages of 2: no duplicates, no gaps, base ids from kid', async () => {
    const prefix = uniqueName('lk');
    const names = [];
    for (let i = 0; i < 7; i += 1) {
      names.push(`${prefix}-${i}`);
      await client.createEcKey(`${prefix}-${i}`, { curve: 'P-256', tags: { i: String(i) } });
    }
    const seen = [];
    let pages = 0;
    for await (const page of client.listPropertiesOfKeys().byPage({ maxPageSize: 2 })) {
      pages += 1;
      assert.ok(page.length <= 2, `page of ${page.length}`);
      for (const p of page) {
        seen.push(p.name);
        assert.equal(p.id, `${origin}/keys/${p.name}`, 'list items carry the base kid');
        assert.equal(p.version, undefined);
      }
      assert.ok(pages < 1000, 'runaway paging');
    }
    assert.equal(new Set(seen).size, seen.length, `duplicates in ${seen}`);
    for (const n of names) assert.ok(seen.includes(n), `${n} missing from the listing`);
    assert.ok(pages >= 4);
    const tagged = (await collect(client.listPropertiesOfKeys())).find((p) => p.name === names[3]);
    assert.deepEqual(tagged.tags, { i: '3' });
  });

  test('raw list items: kid (not id), attributes, no key material', async () => {
    const name = uniqueName('rawlist');
    await client.createRsaKey(name, { keySize: 2048 });
    const res = await keyRequest(server, { path: '/keys?maxresults=25' });
    assert.equal(res.status, 200, res.body);
    assert.ok(Array.isArray(res.json.value));
    for (const item of res.json.value) {
      assert.equal(typeof item.kid, 'string', JSON.stringify(item));
      assert.equal(item.key, undefined);
      for (const p of ['n', 'e', 'd', 'k', 'x', 'y']) assert.equal(item[p], undefined);
      assert.equal(typeof item.attributes, 'object');
    }
  });

  test('listPropertiesOfKeyVersions pages of 2 across 5 versions', async () => {
    const name = uniqueName('lv');
    const versions = [];
    for (let i = 0; i < 5; i += 1) versions.push((await client.createEcKey(name, { curve: 'P-256' })).properties.version);
    const seen = [];
    for await (const page of client.listPropertiesOfKeyVersions(name).byPage({ maxPageSize: 2 })) {
      assert.ok(page.length <= 2);
      for (const p of page) {
        seen.push(p.version);
        assert.equal(p.id, `${origin}/keys/${name}/${p.version}`);
      }
    }
    assert.deepEqual([...seen].sort(), [...versions].sort());
  });

  test('versions of a key that never existed → 200 with an empty list (Azure)', async () => {
    const res = await keyRequest(server, { path: `/keys/${uniqueName('nolist')}/versions` });
    assert.equal(res.status, 200, res.body);
    assert.deepEqual(res.json.value, []);
    assert.equal(res.json.nextLink, null);
  });
});

describe('soft delete, recover, purge', () => {
  test('delete → deleted bundle → list → name reserved → recover → delete → purge', async () => {
    const name = uniqueName('del');
    const created = await client.createRsaKey(name, { keySize: 2048, tags: { t: '1' } });
    const deleted = await (await client.beginDeleteKey(name, FAST)).pollUntilDone();
    assert.equal(deleted.name, name);
    assert.equal(deleted.properties.recoveryId, `${origin}/deletedkeys/${name}`);
    assert.ok(deleted.properties.deletedOn instanceof Date);
    assert.equal(deleted.properties.scheduledPurgeDate.getTime() - deleted.properties.deletedOn.getTime(), 90 * 86_400_000);
    assert.equal(deleted.id, created.id, 'deleted bundle carries the latest version');

    const got = await client.getDeletedKey(name);
    assert.equal(got.properties.version, created.properties.version);
    assert.deepEqual(got.properties.tags, { t: '1' });
    assert.deepEqual([...got.key.n], [...created.key.n]);
    const raw = await keyRequest(server, { path: `/deletedkeys/${name}` });
    assert.equal(raw.status, 200, raw.body);
    assertNoPrivateParts(raw.json.key, 'deleted bundle');

    const listed = await collect(client.listDeletedKeys());
    const item = listed.find((d) => d.name === name);
    assert.ok(item, 'listed among deleted keys');
    assert.equal(item.properties.recoveryId, `${origin}/deletedkeys/${name}`);
    assert.ok(!(await collect(client.listPropertiesOfKeys())).some((p) => p.name === name), 'gone from the live list');
    await expectRestError(client.getKey(name), 404);

    const conflict = await expectRestError(client.createRsaKey(name, { keySize: 2048 }), 409);
    assert.ok(innerCode(conflict) === 'ObjectIsDeletedButRecoverable' || /ObjectIsDeletedButRecoverable|deleted but recoverable/i.test(conflict.message),
      `409 names ObjectIsDeletedButRecoverable: ${innerCode(conflict)} ${conflict.message}`);
    await expectRestError(client.importKey(name, nodeJwkToSdk(localEc('P-256').jwk)), 409);

    const recovered = await (await client.beginRecoverDeletedKey(name, FAST)).pollUntilDone();
    assert.equal(recovered.name, name);
    const back = await client.getKey(name);
    assert.equal(back.properties.version, created.properties.version);
    assert.deepEqual([...back.key.n], [...created.key.n]);
    await expectRestError(client.getDeletedKey(name), 404);

    await (await client.beginDeleteKey(name, FAST)).pollUntilDone();
    await client.purgeDeletedKey(name); // the SDK insists on 204
    await expectRestError(client.getDeletedKey(name), 404);
    assert.ok(!(await collect(client.listDeletedKeys())).some((d) => d.name === name));
    const fresh = await client.createEcKey(name, { curve: 'P-256' });
    assert.notEqual(fresh.properties.version, created.properties.version);
    assert.equal((await collect(client.listPropertiesOfKeyVersions(name))).length, 1, 'purged versions are gone');
  });

  test('delete removes every version; recover brings every version back', async () => {
    const name = uniqueName('delall');
    const versions = [];
    for (let i = 0; i < 3; i += 1) versions.push((await client.createEcKey(name, { curve: 'P-256' })).properties.version);
    await (await client.beginDeleteKey(name, FAST)).pollUntilDone();
    await expectRestError(client.getKey(name, { version: versions[0] }), 404);
    await (await client.beginRecoverDeletedKey(name, FAST)).pollUntilDone();
    const back = (await collect(client.listPropertiesOfKeyVersions(name))).map((p) => p.version);
    assert.deepEqual(back.sort(), [...versions].sort());
  });

  test('deleted-key operations on a live or unknown key → 404', async () => {
    const live = (await client.createEcKey(uniqueName('live'), { curve: 'P-256' })).name;
    await expectRestError(client.getDeletedKey(live), 404);
    await expectRestError(client.purgeDeletedKey(live), 404);
    const res = await keyRequest(server, { method: 'POST', path: `/deletedkeys/${live}/recover` });
    assertErrorEnvelope(res, 404);
    const unknown = uniqueName('ghost');
    await expectRestError(client.getDeletedKey(unknown), 404);
    const del = await keyRequest(server, { method: 'DELETE', path: `/keys/${unknown}` });
    assertErrorEnvelope(del, 404);
  });
});

describe('release policy (secure key release)', () => {
  const policy = (equals) => Buffer.from(JSON.stringify({
    version: '1.0.0',
    anyOf: [{ authority: 'https://attestation.localhost', allOf: [{ claim: 'sdk-test', equals }] }],
  }));

  test('an exportable key keeps its policy; the policy comes back as sent', async () => {
    const name = uniqueName('rel');
    const key = await client.createRsaKey(name, {
      exportable: true, releasePolicy: { encodedPolicy: policy(true) }, keyOps: ['encrypt', 'decrypt'],
    });
    assert.equal(key.properties.exportable, true);
    assert.deepEqual(JSON.parse(Buffer.from(key.properties.releasePolicy.encodedPolicy)), JSON.parse(policy(true)));
    const got = await client.getKey(name);
    assert.deepEqual(Buffer.from(got.properties.releasePolicy.encodedPolicy), policy(true));
    assert.equal(got.properties.releasePolicy.immutable, false);
    // A mutable policy may change; rotation keeps it.
    const updated = await client.updateKeyProperties(name, { releasePolicy: { encodedPolicy: policy(false) } });
    assert.deepEqual(Buffer.from(updated.properties.releasePolicy.encodedPolicy), policy(false));
    const rotated = await client.rotateKey(name);
    assert.deepEqual(Buffer.from(rotated.properties.releasePolicy.encodedPolicy), policy(false));
  });

  test('exportable without a policy, or a policy without exportable → 400 naming exportable', async () => {
    const a = await expectRestError(client.createRsaKey(uniqueName('nopol'), { exportable: true }), 400);
    assert.match(a.message, /exportable/);
    const b = await expectRestError(client.createRsaKey(uniqueName('noexp'), { releasePolicy: { encodedPolicy: policy(true) } }), 400);
    assert.match(b.message, /exportable/);
    const plain = await client.createRsaKey(uniqueName('plain'));
    const c = await expectRestError(client.updateKeyProperties(plain.name, { releasePolicy: { encodedPolicy: policy(true) } }), 400);
    assert.match(c.message, /exportable/);
  });

  test('an immutable policy cannot change', async () => {
    const name = uniqueName('imm');
    await client.createRsaKey(name, { exportable: true, releasePolicy: { encodedPolicy: policy(true), immutable: true } });
    const err = await expectRestError(client.updateKeyProperties(name, {
      releasePolicy: { encodedPolicy: policy(false), immutable: true },
    }), 400);
    assert.match(err.message, /Immutable Key Release/);
    assert.deepEqual(Buffer.from((await client.getKey(name)).properties.releasePolicy.encodedPolicy), policy(true));
  });

  test('a policy that does not follow the grammar → 400 naming the field', async () => {
    for (const [doc, names] of [
      [{ version: '1.0.0' }, /anyOf/],
      [{ version: '9', anyOf: [] }, /version/],
      [{ version: '1.0.0', anyOf: [{ authority: 'http://plain', anyOf: [{ claim: 'c', equals: 1 }] }] }, /https/],
    ]) {
      const err = await expectRestError(client.createRsaKey(uniqueName('badpol'), {
        exportable: true, releasePolicy: { encodedPolicy: Buffer.from(JSON.stringify(doc)) },
      }), 400);
      assert.match(err.message, names);
    }
  });
});

describe('names', () => {
  test('names are case-insensitive and echoed in their original casing', async () => {
    const name = `MixedKey${uniqueName('')}`;
    const k = await client.createEcKey(name, { curve: 'P-256' });
    assert.equal(k.name, name);
    const got = await client.getKey(name.toLowerCase());
    assert.equal(got.properties.version, k.properties.version);
    assert.equal(got.name, name, 'original casing in the kid');
    await client.createEcKey(name.toUpperCase(), { curve: 'P-256' });
    const versions = await collect(client.listPropertiesOfKeyVersions(name.toLowerCase()));
    assert.equal(versions.length, 2, 'one key, two versions');
    const listed = (await collect(client.listPropertiesOfKeys())).filter((p) => p.name.toLowerCase() === name.toLowerCase());
    assert.equal(listed.length, 1, 'one list entry');
  });

  test('an invalid key name → 400', async () => {
    for (const bad of ['bad_name', 'a'.repeat(128), 'dot.name']) {
      const res = await keyRequest(server, { method: 'POST', path: `/keys/${bad}/create`, body: { kty: 'EC' } });
      assertErrorEnvelope(res, 400);
    }
  });
});

describe('random bytes (POST /rng)', () => {
  test('KeyClient.getRandomBytes(count) for count 1..128', async () => {
    for (const n of [1, 2, 16, 31, 64, 127, 128]) {
      const bytes = await client.getRandomBytes(n);
      assert.equal(bytes.length, n, `count ${n}`);
    }
    const a = Buffer.from(await client.getRandomBytes(32));
    const b = Buffer.from(await client.getRandomBytes(32));
    assert.notDeepEqual(a, b, 'two draws differ');
    assert.ok(!a.equals(Buffer.alloc(32)), 'not all zero');
  });

  test('raw: value is base64url without padding', async () => {
    const res = await keyRequest(server, { method: 'POST', path: '/rng', body: { count: 100 } });
    assert.equal(res.status, 200, res.body);
    assert.match(res.json.value, B64URL_RE);
    assert.equal(unb64u(res.json.value).length, 100);
  });

  test('count 0, 129, -1, "x", 1.5, null, missing, a body of [] → 400', async () => {
    await expectRestError(client.getRandomBytes(0), 400);
    await expectRestError(client.getRandomBytes(129), 400);
    for (const body of [{ count: 0 }, { count: 129 }, { count: -1 }, { count: 'x' }, { count: 1.5 }, { count: null }, {}, [], 'garbage']) {
      const res = await keyRequest(server, { method: 'POST', path: '/rng', body });
      assert.notEqual(res.status, 500, `${JSON.stringify(body)}: 500 ${res.body}`);
      assertErrorEnvelope(res, 400);
    }
  });
});

describe('bad input over raw HTTP → 400 with the error envelope, never 500', () => {
  async function expect400(method, path, body, what) {
    const res = await keyRequest(server, { method, path, body });
    assert.notEqual(res.status, 500, `${what}: 500 ${res.body}`);
    assert.ok(res.status === 400, `${what}: expected 400, got ${res.status} ${res.body.slice(0, 300)}`);
    return assertErrorEnvelope(res, 400);
  }

  test('create: unknown kty, missing kty, unknown crv, key_size 1024 and friends', async () => {
    const cases = [
      [{ kty: 'FOO' }, 'unknown kty'],
      [{ kty: 'rsa-hsm-plus' }, 'unknown kty spelling'],
      [{}, 'missing kty'],
      [{ kty: null }, 'kty null'],
      [{ kty: 7 }, 'kty a number'],
      [{ kty: 'EC', crv: 'P-999' }, 'unknown crv'],
      [{ kty: 'EC', crv: 'secp256k1' }, 'node name for P-256K'],
      [{ kty: 'RSA', key_size: 1024 }, 'RSA 1024'],
      [{ kty: 'RSA', key_size: 2047 }, 'RSA 2047'],
      [{ kty: 'RSA', key_size: 8192 }, 'RSA 8192'],
      [{ kty: 'RSA', key_size: '2048' }, 'key_size a string'],
      [{ kty: 'RSA', public_exponent: 4 }, 'even public exponent'],
      [{ kty: 'RSA', public_exponent: 1 }, 'public exponent 1'],
      [{ kty: 'oct-HSM', key_size: 100 }, 'AES 100'],
      [{ kty: 'EC', key_ops: ['fly'] }, 'unknown key op'],
      [{ kty: 'EC', key_ops: 'sign' }, 'key_ops not an array'],
      [{ kty: 'EC', tags: { a: 1 } }, 'tag value not a string'],
      [{ kty: 'EC', attributes: { enabled: 'yes' } }, 'enabled a string'],
      [null, 'body null'],
      [[], 'body []'],
      ['{"kty":', 'truncated JSON'],
    ];
    for (const [body, what] of cases) {
      const name = uniqueName('badc');
      await expect400('POST', `/keys/${name}/create`, body, what);
      const after = await keyRequest(server, { path: `/keys/${name}/` });
      assert.equal(after.status, 404, `${what}: nothing created (${after.status})`);
    }
  });

  test('import: bad base64url, wrong types, unknown kty/crv, missing key', async () => {
    const rsa = localRsa(2048).jwk;
    const ec = localEc('P-256').jwk;
    const cases = [
      [{ key: { ...rsa, n: '!!!notbase64!!!' } }, 'RSA n not base64url'],
      [{ key: { ...rsa, d: 'a*b' } }, 'RSA d not base64url'],
      [{ key: { ...ec, x: '@@@@' } }, 'EC x not base64url'],
      [{ key: { kty: 'oct', k: '%%%' } }, 'oct k not base64url'],
      [{ key: { ...rsa, n: 12345 } }, 'n a number'],
      [{ key: { ...rsa, kty: 'FOO' } }, 'unknown kty'],
      [{ key: { ...ec, crv: 'P-999' } }, 'unknown crv'],
      [{ key: { n: rsa.n, e: rsa.e, d: rsa.d } }, 'missing kty'],
      [{ key: 'RSA' }, 'key a string'],
      [{ key: null }, 'key null'],
      [{}, 'missing key'],
      [{ key: { ...ec }, Hsm: 'yes' }, 'Hsm a string'],
    ];
    for (const [body, what] of cases) {
      const name = uniqueName('badi');
      await expect400('PUT', `/keys/${name}`, body, what);
    }
  });

  test('update: wrong types', async () => {
    const k = await client.createEcKey(uniqueName('badu'), { curve: 'P-256' });
    for (const [body, what] of [
      [{ key_ops: ['fly'] }, 'unknown op'],
      [{ attributes: { enabled: 'no' } }, 'enabled a string'],
      [{ tags: ['a'] }, 'tags an array'],
      [null, 'null body'],
    ]) {
      await expect400('PATCH', `/keys/${k.name}/${k.properties.version}`, body, what);
    }
  });
});
