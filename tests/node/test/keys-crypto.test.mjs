// Key operations through the unmodified CryptographyClient (from KeyClient.getCryptographyClient
// — the `/keys/{n}//op` empty-version path — and from a KeyVaultKey — the versioned path), with
// node:crypto on the other side of every operation, plus server-side enforcement and the
// decryption-failure contract over raw HTTP (AZURE_API.md §4.3, §4.4; DESIGN.md §1 "Keys").
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { startServer } from '../support/server.mjs';
import { assertErrorEnvelope } from '../support/http.mjs';
import { expectRestError, uniqueName } from '../support/azure.mjs';
import {
  keyClient, cryptoClientFor, keyRequest, b64u, unb64u, nodeJwkToSdk, publicKeyFromSdk,
  localRsa, localEc, digestFor, verifyLocally, signLocally, RSA_SIG_ALGS, EC_SIG_ALGS,
} from '../support/keys.mjs';

let server;
let kc;
const requested = []; // URLs the KeyClient pipeline sent (shared with its CryptographyClients)
const K = {}; // keys under test
const RSA_OPS = ['encrypt', 'decrypt', 'sign', 'verify', 'wrapKey', 'unwrapKey'];
const AES_OPS = ['encrypt', 'decrypt', 'wrapKey', 'unwrapKey'];
const HMAC_OPS = ['sign', 'verify'];
const { RSA_PKCS1_PADDING, RSA_PKCS1_OAEP_PADDING, RSA_NO_PADDING } = crypto.constants;

before(async () => {
  server = await startServer();
  kc = keyClient(server, 'dev', {
    additionalPolicies: [{
      position: 'perCall',
      policy: { name: 'recordUrls', sendRequest: (req, next) => { requested.push(`${req.method} ${req.url}`); return next(req); } },
    }],
  });
  K.rsa = await kc.createRsaKey(uniqueName('crsa'), { keySize: 2048, keyOps: RSA_OPS });
  K.rsaOther = await kc.createRsaKey(uniqueName('crsb'), { keySize: 2048, keyOps: RSA_OPS });
  K.rsaLocal = localRsa(2048);
  K.rsaImp = await kc.importKey(uniqueName('crsi'), nodeJwkToSdk(K.rsaLocal.jwk, { keyOps: RSA_OPS }));
  K.ec = {};
  K.ecLocal = {};
  K.ecImp = {};
  for (const { crv } of EC_SIG_ALGS) {
    K.ec[crv] = await kc.createEcKey(uniqueName('cec'), { curve: crv });
    K.ecLocal[crv] = localEc(crv);
    K.ecImp[crv] = await kc.importKey(uniqueName('ceci'), nodeJwkToSdk(K.ecLocal[crv].jwk, { keyOps: ['sign', 'verify'] }));
  }
  K.oct = {};
  K.octK = {};
  K.octImp = {};
  for (const bits of [128, 192, 256]) {
    K.oct[bits] = await kc.createOctKey(uniqueName('coct'), { hsm: true, keySize: bits, keyOps: AES_OPS });
    K.octK[bits] = crypto.randomBytes(bits / 8);
    K.octImp[bits] = await kc.importKey(uniqueName('cocti'), { kty: 'oct-HSM', k: new Uint8Array(K.octK[bits]), keyOps: AES_OPS });
  }
  K.hmacK = crypto.randomBytes(32);
  K.hmacImp = await kc.importKey(uniqueName('chmi'), { kty: 'oct-HSM', k: new Uint8Array(K.hmacK), keyOps: HMAC_OPS });
  K.hmacGen = await kc.createOctKey(uniqueName('chmg'), { hsm: true, keySize: 128, keyOps: HMAC_OPS });
});
after(async () => { await server?.remove(); });

/** Both ways of getting a CryptographyClient for `key`: by name (empty version) and from the KeyVaultKey. */
function clients(key) {
  return [['by name', kc.getCryptographyClient(key.name)], ['from KeyVaultKey', cryptoClientFor(server, key)]];
}

/** POST /keys/{name}/{version}/{op} with a raw JSON body; version '' → the `//op` path. */
function op(key, operation, body, version = key.properties.version) {
  return keyRequest(server, { method: 'POST', path: `/keys/${key.name}/${version}/${operation}`, body });
}

const plaintext = Buffer.from('attack at dawn — 0123456789');
const bytesEq = (a, b) => Buffer.from(a).equals(Buffer.from(b));

// Raw RSA (no padding) for building ciphertexts whose decrypted block is known exactly: a
// ciphertext made with `rawRsaEncrypt(pub, block)` decrypts on the server to exactly `block`
// (k bytes, below the modulus), whatever the key's origin.
const rawRsaEncrypt = (pub, block) => crypto.publicEncrypt({ key: pub, padding: RSA_NO_PADDING }, block);
const rawRsaDecrypt = (priv, ct) => crypto.privateDecrypt({ key: priv, padding: RSA_NO_PADDING }, ct);

/**
 * EME-PKCS1-v1_5 decoding of a raw decrypted block (RFC 8017 §7.2.2 step 3): 0x00 0x02, at least
 * 8 non-zero padding bytes, 0x00, message. Returns the message, or null when the padding is invalid.
 * Node 20 refuses privateDecrypt with RSA_PKCS1_PADDING (CVE-2023-46809, only with
 * --security-revert), so PKCS#1 v1.5 is decrypted locally as RSA_NO_PADDING plus this.
 */
function pkcs1Type2Unpad(em) {
  if (em.length < 11 || em[0] !== 0x00 || em[1] !== 0x02) return null;
  const sep = em.indexOf(0x00, 2);
  if (sep < 10) return null; // no separator, or fewer than 8 padding bytes
  return em.subarray(sep + 1);
}

/** PKCS#1 v1.5 decryption with a local private key (see pkcs1Type2Unpad). */
function pkcs1DecryptLocally(priv, ct) {
  const m = pkcs1Type2Unpad(rawRsaDecrypt(priv, ct));
  assert.ok(m, 'the block has valid PKCS#1 v1.5 encryption padding');
  return m;
}

const xorBytes = (a, b) => Buffer.from(a.map((x, i) => x ^ b[i]));
function mgf1(hash, seed, len) {
  const out = [];
  for (let i = 0, n = 0; n < len; i++) {
    const counter = Buffer.alloc(4);
    counter.writeUInt32BE(i);
    const h = crypto.createHash(hash).update(seed).update(counter).digest();
    out.push(h);
    n += h.length;
  }
  return Buffer.concat(out).subarray(0, len);
}
/** EME-OAEP encoding (RFC 8017 §7.1.1, empty label) of `msg` into a k-byte block with `seed`. */
function oaepEncode(hash, k, msg, seed) {
  const lHash = crypto.createHash(hash).digest();
  const hLen = lHash.length;
  const db = Buffer.concat([lHash, Buffer.alloc(k - msg.length - 2 * hLen - 2), Buffer.from([1]), msg]);
  const maskedDb = xorBytes(db, mgf1(hash, seed, k - hLen - 1));
  const maskedSeed = xorBytes(seed, mgf1(hash, maskedDb, hLen));
  return Buffer.concat([Buffer.from([0]), maskedSeed, maskedDb]);
}

/** A local AES-CBC pass without padding. */
function aesCbcNoPad(bits, k, iv, data, encrypt = true) {
  const c = encrypt ? crypto.createCipheriv(`aes-${bits}-cbc`, k, iv) : crypto.createDecipheriv(`aes-${bits}-cbc`, k, iv);
  c.setAutoPadding(false);
  return Buffer.concat([c.update(data), c.final()]);
}

/** A local RFC 3394 (`id-aesN-wrap`) or RFC 5649 (`id-aesN-wrap-pad`) wrap or unwrap. */
function aesKw(bits, k, data, { pad = false, wrap = true } = {}) {
  const name = `id-aes${bits}-wrap${pad ? '-pad' : ''}`;
  const iv = Buffer.from(pad ? 'A65959A6' : 'A6A6A6A6A6A6A6A6', 'hex');
  const c = wrap ? crypto.createCipheriv(name, k, iv) : crypto.createDecipheriv(name, k, iv);
  return Buffer.concat([c.update(data), c.final()]);
}

describe('RSA encrypt / decrypt', () => {
  for (const alg of ['RSA1_5', 'RSA-OAEP', 'RSA-OAEP-256']) {
    test(`${alg} round trip through both CryptographyClients`, async () => {
      for (const [how, cc] of clients(K.rsa)) {
        const enc = await cc.encrypt(alg, plaintext);
        assert.equal(enc.result.length, 256, `${how}: ciphertext of a 2048-bit key`);
        const dec = await cc.decrypt(alg, enc.result);
        assert.ok(bytesEq(dec.result, plaintext), `${how}: decrypts to the plaintext`);
      }
    });
  }

  test('the by-name client calls the empty-version path (/keys/{n}//decrypt)', async () => {
    const cc = kc.getCryptographyClient(K.rsa.name);
    const enc = await cc.encrypt('RSA-OAEP-256', plaintext);
    await cc.decrypt('RSA-OAEP-256', enc.result);
    assert.ok(requested.some((u) => u.includes(`/keys/${K.rsa.name}//decrypt`)), requested.slice(-5).join('\n'));
    assert.ok(requested.some((u) => u.includes(`/keys/${K.rsa.name}//encrypt`)), 'RSA-OAEP-256 encrypt is remote');
  });

  test('ciphertext made locally with node:crypto (PKCS#1 v1.5, OAEP-SHA1, OAEP-SHA256) decrypts on the server', async () => {
    for (const key of [K.rsa, K.rsaImp]) {
      const pub = publicKeyFromSdk(key.key);
      const cases = [
        ['RSA1_5', { key: pub, padding: RSA_PKCS1_PADDING }],
        ['RSA-OAEP', { key: pub, padding: RSA_PKCS1_OAEP_PADDING }],
        ['RSA-OAEP-256', { key: pub, padding: RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }],
      ];
      for (const [alg, opts] of cases) {
        const ct = crypto.publicEncrypt(opts, plaintext);
        for (const [how, cc] of clients(key)) {
          const dec = await cc.decrypt(alg, ct);
          assert.ok(bytesEq(dec.result, plaintext), `${alg} ${how}`);
        }
      }
    }
  });

  test('server-side RSA-OAEP / RSA-OAEP-256 encryption decrypts locally with the imported private key', async () => {
    for (const [alg, oaepHash] of [['RSA-OAEP', 'sha1'], ['RSA-OAEP-256', 'sha256']]) {
      const res = await op(K.rsaImp, 'encrypt', { alg, value: b64u(plaintext) });
      assert.equal(res.status, 200, res.body);
      assert.equal(res.json.kid, K.rsaImp.id);
      const pt = crypto.privateDecrypt({ key: K.rsaLocal.privateKey, padding: RSA_PKCS1_OAEP_PADDING, oaepHash }, unb64u(res.json.value));
      assert.ok(pt.equals(plaintext), alg);
    }
  });

  test('server-side RSA1_5 encryption round-trips on the server', async () => {
    const res = await op(K.rsa, 'encrypt', { alg: 'RSA1_5', value: b64u(plaintext) });
    assert.equal(res.status, 200, res.body);
    const dec = await op(K.rsa, 'decrypt', { alg: 'RSA1_5', value: res.json.value });
    assert.equal(dec.status, 200, dec.body);
    assert.ok(unb64u(dec.json.value).equals(plaintext));
  });

  test('server-side RSA1_5 encryption decrypts locally: block 00 02, non-zero random padding, 00, message', async () => {
    // Node 20 refuses privateDecrypt with RSA_PKCS1_PADDING (CVE-2023-46809), so the block is
    // decrypted with RSA_NO_PADDING and the PKCS#1 v1.5 padding checked and stripped by hand.
    for (const len of [1, plaintext.length, 245]) {
      const msg = crypto.randomBytes(len);
      const cts = [];
      for (let i = 0; i < 2; i++) {
        const res = await op(K.rsaImp, 'encrypt', { alg: 'RSA1_5', value: b64u(msg) });
        assert.equal(res.status, 200, res.body);
        assert.equal(res.json.kid, K.rsaImp.id);
        const ct = unb64u(res.json.value);
        assert.equal(ct.length, 256, `${len}-byte message: ciphertext of a 2048-bit key`);
        const em = rawRsaDecrypt(K.rsaLocal.privateKey, ct);
        assert.deepEqual([em[0], em[1]], [0x00, 0x02], `${len}-byte message: block type 2`);
        assert.equal(em.indexOf(0x00, 2), 256 - len - 1, `${len}-byte message: the padding string has no zero byte and fills the block`);
        assert.ok(pkcs1DecryptLocally(K.rsaLocal.privateKey, ct).equals(msg), `${len}-byte message decrypts locally`);
        cts.push(ct);
      }
      assert.ok(!cts[0].equals(cts[1]), `${len}-byte message: random padding, two encryptions differ`);
    }
    assertErrorEnvelope(await op(K.rsaImp, 'encrypt', { alg: 'RSA1_5', value: b64u(crypto.randomBytes(246)) }), 400);
  });

  test('plaintext too long for the key → 400', async () => {
    const res = await op(K.rsa, 'encrypt', { alg: 'RSA-OAEP', value: b64u(crypto.randomBytes(300)) });
    assertErrorEnvelope(res, 400);
  });
});

describe('wrap / unwrap', () => {
  const cek = crypto.randomBytes(32);

  for (const alg of ['RSA1_5', 'RSA-OAEP', 'RSA-OAEP-256']) {
    test(`RSA ${alg}: wrapKey → unwrapKey, and a locally wrapped key unwraps on the server`, async () => {
      for (const [how, cc] of clients(K.rsa)) {
        const w = await cc.wrapKey(alg, cek);
        const u = await cc.unwrapKey(alg, w.result);
        assert.ok(bytesEq(u.result, cek), `${how}`);
      }
      const pub = publicKeyFromSdk(K.rsa.key);
      const opts = alg === 'RSA1_5' ? { key: pub, padding: RSA_PKCS1_PADDING }
        : { key: pub, padding: RSA_PKCS1_OAEP_PADDING, oaepHash: alg === 'RSA-OAEP' ? 'sha1' : 'sha256' };
      const u = await kc.getCryptographyClient(K.rsa.name).unwrapKey(alg, crypto.publicEncrypt(opts, cek));
      assert.ok(bytesEq(u.result, cek));
    });
  }

  test('server-side RSA wrapKey (RSA1_5, RSA-OAEP, RSA-OAEP-256) unwraps locally with the imported private key', async () => {
    for (const key of [crypto.randomBytes(16), cek]) {
      for (const alg of ['RSA1_5', 'RSA-OAEP', 'RSA-OAEP-256']) {
        const res = await op(K.rsaImp, 'wrapkey', { alg, value: b64u(key) });
        assert.equal(res.status, 200, res.body);
        assert.deepEqual(Object.keys(res.json).sort(), ['kid', 'value'], res.body);
        assert.equal(res.json.kid, K.rsaImp.id);
        const wrapped = unb64u(res.json.value);
        assert.equal(wrapped.length, 256, alg);
        const local = alg === 'RSA1_5'
          ? pkcs1DecryptLocally(K.rsaLocal.privateKey, wrapped)
          : crypto.privateDecrypt({ key: K.rsaLocal.privateKey, padding: RSA_PKCS1_OAEP_PADDING, oaepHash: alg === 'RSA-OAEP' ? 'sha1' : 'sha256' }, wrapped);
        assert.ok(local.equals(key), `${alg}: ${key.length}-byte key unwraps locally`);
      }
    }
  });

  for (const bits of [128, 192, 256]) {
    test(`A${bits}KW: round trip; matches RFC 3394 computed locally for an imported key`, async () => {
      const alg = `A${bits}KW`;
      for (const [how, cc] of clients(K.oct[bits])) {
        const w = await cc.wrapKey(alg, cek);
        assert.equal(w.result.length, cek.length + 8, `${how}: RFC 3394 output is 8 bytes longer`);
        const u = await cc.unwrapKey(alg, w.result);
        assert.ok(bytesEq(u.result, cek), how);
      }
      const cipher = `id-aes${bits}-wrap`;
      const iv = Buffer.from('A6A6A6A6A6A6A6A6', 'hex');
      const wrapper = crypto.createCipheriv(cipher, K.octK[bits], iv);
      const local = Buffer.concat([wrapper.update(cek), wrapper.final()]);
      const w = await cryptoClientFor(server, K.octImp[bits]).wrapKey(alg, cek);
      assert.ok(bytesEq(w.result, local), 'server wrap = local RFC 3394 wrap');
      const u = await kc.getCryptographyClient(K.octImp[bits].name).unwrapKey(alg, local);
      assert.ok(bytesEq(u.result, cek), 'local wrap unwraps on the server');
    });
  }

  test('AES-KW with a size that does not fit the key, or a tampered wrapped key → 400', async () => {
    assertErrorEnvelope(await op(K.oct[128], 'wrapkey', { alg: 'A256KW', value: b64u(cek) }), 400);
    assertErrorEnvelope(await op(K.oct[256], 'wrapkey', { alg: 'A128KW', value: b64u(cek) }), 400);
    const w = await op(K.oct[256], 'wrapkey', { alg: 'A256KW', value: b64u(cek) });
    assert.equal(w.status, 200, w.body);
    const bad = unb64u(w.json.value);
    bad[3] ^= 0x10;
    assertErrorEnvelope(await op(K.oct[256], 'unwrapkey', { alg: 'A256KW', value: b64u(bad) }), 400);
    assertErrorEnvelope(await op(K.oct[256], 'wrapkey', { alg: 'A256KW', value: b64u(crypto.randomBytes(20)) }), 400);
  });
});

describe('AES-GCM and AES-CBCPAD', () => {
  const aad = Buffer.from('header-v1');

  for (const bits of [128, 192, 256]) {
    test(`A${bits}GCM: service IV (12 bytes) and tag (16 bytes); decrypt with aad; wrong aad or tag → 400`, async () => {
      const algorithm = `A${bits}GCM`;
      for (const [how, cc] of clients(K.oct[bits])) {
        const enc = await cc.encrypt({ algorithm, plaintext, additionalAuthenticatedData: aad });
        assert.equal(enc.iv?.length, 12, `${how}: iv returned`);
        assert.equal(enc.authenticationTag?.length, 16, `${how}: tag returned`);
        assert.equal(enc.result.length, plaintext.length);
        const dec = await cc.decrypt({
          algorithm, ciphertext: enc.result, iv: enc.iv, authenticationTag: enc.authenticationTag, additionalAuthenticatedData: aad,
        });
        assert.ok(bytesEq(dec.result, plaintext), how);
        await expectRestError(cc.decrypt({
          algorithm, ciphertext: enc.result, iv: enc.iv, authenticationTag: enc.authenticationTag, additionalAuthenticatedData: Buffer.from('other'),
        }), 400);
        const tag = Buffer.from(enc.authenticationTag);
        tag[0] ^= 1;
        await expectRestError(cc.decrypt({
          algorithm, ciphertext: enc.result, iv: enc.iv, authenticationTag: tag, additionalAuthenticatedData: aad,
        }), 400);
      }
      const noAad = await kc.getCryptographyClient(K.oct[bits].name).encrypt({ algorithm, plaintext });
      const back = await kc.getCryptographyClient(K.oct[bits].name).decrypt({
        algorithm, ciphertext: noAad.result, iv: noAad.iv, authenticationTag: noAad.authenticationTag,
      });
      assert.ok(bytesEq(back.result, plaintext), 'without aad');
    });

    test(`A${bits}GCM interoperates with node:crypto for an imported key`, async () => {
      const algorithm = `A${bits}GCM`;
      const cc = cryptoClientFor(server, K.octImp[bits]);
      const enc = await cc.encrypt({ algorithm, plaintext, additionalAuthenticatedData: aad });
      const d = crypto.createDecipheriv(`aes-${bits}-gcm`, K.octK[bits], Buffer.from(enc.iv));
      d.setAAD(aad);
      d.setAuthTag(Buffer.from(enc.authenticationTag));
      assert.ok(Buffer.concat([d.update(Buffer.from(enc.result)), d.final()]).equals(plaintext), 'server GCM decrypts locally');
      const iv = crypto.randomBytes(12);
      const c = crypto.createCipheriv(`aes-${bits}-gcm`, K.octK[bits], iv);
      c.setAAD(aad);
      const ct = Buffer.concat([c.update(plaintext), c.final()]);
      const dec = await cc.decrypt({ algorithm, ciphertext: ct, iv, authenticationTag: c.getAuthTag(), additionalAuthenticatedData: aad });
      assert.ok(bytesEq(dec.result, plaintext), 'local GCM decrypts on the server');
    });

    test(`A${bits}CBCPAD: round trip (service IV), explicit IV matches node:crypto`, async () => {
      const algorithm = `A${bits}CBCPAD`;
      for (const [how, cc] of clients(K.oct[bits])) {
        const enc = await cc.encrypt({ algorithm, plaintext });
        assert.equal(enc.iv?.length, 16, `${how}: iv returned (the SDK does not send one)`);
        assert.equal(enc.result.length, Math.ceil((plaintext.length + 1) / 16) * 16, 'PKCS#7 padded');
        const dec = await cc.decrypt({ algorithm, ciphertext: enc.result, iv: enc.iv });
        assert.ok(bytesEq(dec.result, plaintext), how);
      }
      const iv = crypto.randomBytes(16);
      const cc = kc.getCryptographyClient(K.octImp[bits].name);
      const enc = await cc.encrypt({ algorithm, plaintext, iv });
      const c = crypto.createCipheriv(`aes-${bits}-cbc`, K.octK[bits], iv);
      const local = Buffer.concat([c.update(plaintext), c.final()]);
      assert.ok(bytesEq(enc.result, local), 'server CBC-PAD = node:crypto aes-cbc');
      const dec = await cc.decrypt({ algorithm, ciphertext: local, iv });
      assert.ok(bytesEq(dec.result, plaintext));
    });
  }
});

describe('AES-CBC without padding (A128CBC / A192CBC / A256CBC)', () => {
  for (const bits of [128, 192, 256]) {
    test(`A${bits}CBC: explicit iv = node:crypto aes-${bits}-cbc without padding, both ways; service IV round trip`, async () => {
      const alg = `A${bits}CBC`;
      // The last block is a full PKCS#7 padding block: unpadded CBC must neither add nor strip one.
      const data = Buffer.concat([crypto.randomBytes(32), Buffer.alloc(16, 0x10)]);
      const iv = crypto.randomBytes(16);
      const local = aesCbcNoPad(bits, K.octK[bits], iv, data);
      assert.equal(local.length, 48);
      const res = await op(K.octImp[bits], 'encrypt', { alg, value: b64u(data), iv: b64u(iv) });
      assert.equal(res.status, 200, res.body);
      assert.equal(res.json.kid, K.octImp[bits].id);
      assert.ok(unb64u(res.json.value).equals(local), 'server A*CBC = node:crypto aes-cbc without padding (no block added)');
      assert.equal(res.json.iv, b64u(iv), 'the given iv is echoed');
      assert.equal(res.json.tag, undefined, 'no tag for CBC');
      const dec = await op(K.octImp[bits], 'decrypt', { alg, value: b64u(local), iv: b64u(iv) });
      assert.equal(dec.status, 200, dec.body);
      assert.ok(unb64u(dec.json.value).equals(data), 'local ciphertext decrypts on the server; the 0x10 block is kept');

      const other = crypto.randomBytes(16);
      const ct = aesCbcNoPad(bits, K.octK[bits], iv, other);
      const dec2 = await kc.getCryptographyClient(K.octImp[bits].name).decrypt({ algorithm: alg, ciphertext: ct, iv });
      assert.ok(bytesEq(dec2.result, other), 'CryptographyClient decrypt of one block');

      for (const [how, cc] of clients(K.oct[bits])) {
        const enc = await cc.encrypt({ algorithm: alg, plaintext: data });
        assert.equal(enc.iv?.length, 16, `${how}: iv returned`);
        assert.equal(enc.result.length, data.length, `${how}: no padding`);
        const back = await cc.decrypt({ algorithm: alg, ciphertext: enc.result, iv: enc.iv });
        assert.ok(bytesEq(back.result, data), how);
      }
    });

    test(`A${bits}CBC: a plaintext that is not a multiple of 16 bytes → 400`, async () => {
      const alg = `A${bits}CBC`;
      for (const len of [1, 15, 17, 33]) {
        const res = await op(K.octImp[bits], 'encrypt', { alg, value: b64u(crypto.randomBytes(len)), iv: b64u(crypto.randomBytes(16)) });
        assert.notEqual(res.status, 500, res.body);
        assertErrorEnvelope(res, 400, 'BadParameter');
        const noIv = await op(K.oct[bits], 'encrypt', { alg, value: b64u(crypto.randomBytes(len)) });
        assertErrorEnvelope(noIv, 400, 'BadParameter');
      }
    });
  }

  test('A*CBC on a key of another size, or with an iv that is not 16 bytes → 400', async () => {
    const sixteen = b64u(crypto.randomBytes(16));
    assertErrorEnvelope(await op(K.octImp[256], 'encrypt', { alg: 'A128CBC', value: sixteen }), 400);
    assertErrorEnvelope(await op(K.octImp[128], 'encrypt', { alg: 'A256CBC', value: sixteen }), 400);
    assertErrorEnvelope(await op(K.octImp[256], 'encrypt', { alg: 'A256CBC', value: sixteen, iv: b64u(crypto.randomBytes(12)) }), 400);
    assertErrorEnvelope(await op(K.rsa, 'encrypt', { alg: 'A256CBC', value: sixteen }), 400);
  });
});

describe('CKM_AES_KEY_WRAP (RFC 3394) and CKM_AES_KEY_WRAP_PAD (RFC 5649), any AES key size', () => {
  for (const bits of [128, 192, 256]) {
    test(`CKM_AES_KEY_WRAP on a ${bits}-bit key = node:crypto id-aes${bits}-wrap (= A${bits}KW); unwraps both ways`, async () => {
      for (const len of [16, 24, 32, 64]) {
        const cek = crypto.randomBytes(len);
        const local = aesKw(bits, K.octK[bits], cek);
        assert.equal(local.length, len + 8);
        const w = await cryptoClientFor(server, K.octImp[bits]).wrapKey('CKM_AES_KEY_WRAP', cek);
        assert.ok(bytesEq(w.result, local), `${len} bytes: server wrap = local RFC 3394 wrap`);
        const kw = await op(K.octImp[bits], 'wrapkey', { alg: `A${bits}KW`, value: b64u(cek) });
        assert.equal(kw.status, 200, kw.body);
        assert.ok(unb64u(kw.json.value).equals(local), `${len} bytes: CKM_AES_KEY_WRAP = A${bits}KW`);
        const u = await kc.getCryptographyClient(K.octImp[bits].name).unwrapKey('CKM_AES_KEY_WRAP', local);
        assert.ok(bytesEq(u.result, cek), `${len} bytes: local wrap unwraps on the server`);
        assert.ok(aesKw(bits, K.octK[bits], Buffer.from(w.result), { wrap: false }).equals(cek), `${len} bytes: server wrap unwraps locally`);
      }
      for (const [how, cc] of clients(K.oct[bits])) {
        const cek = crypto.randomBytes(32);
        const w = await cc.wrapKey('CKM_AES_KEY_WRAP', cek);
        assert.equal(w.result.length, 40, how);
        assert.ok(bytesEq((await cc.unwrapKey('CKM_AES_KEY_WRAP', w.result)).result, cek), how);
      }
      // RFC 3394 wraps whole 64-bit blocks, at least two of them.
      for (const len of [8, 20, 33]) {
        const res = await op(K.octImp[bits], 'wrapkey', { alg: 'CKM_AES_KEY_WRAP', value: b64u(crypto.randomBytes(len)) });
        assert.notEqual(res.status, 500, res.body);
        assertErrorEnvelope(res, 400, 'BadParameter');
      }
    });

    test(`CKM_AES_KEY_WRAP_PAD on a ${bits}-bit key = node:crypto id-aes${bits}-wrap-pad for 1..65-byte keys; unwraps both ways`, async () => {
      for (const len of [1, 7, 8, 9, 20, 32, 65]) {
        const cek = crypto.randomBytes(len);
        const local = aesKw(bits, K.octK[bits], cek, { pad: true });
        assert.equal(local.length, Math.max(16, Math.ceil(len / 8) * 8 + 8));
        const res = await op(K.octImp[bits], 'wrapkey', { alg: 'CKM_AES_KEY_WRAP_PAD', value: b64u(cek) });
        assert.equal(res.status, 200, `${len} bytes: ${res.body}`);
        assert.equal(res.json.kid, K.octImp[bits].id);
        assert.ok(unb64u(res.json.value).equals(local), `${len} bytes: server wrap = local RFC 5649 wrap`);
        const u = await op(K.octImp[bits], 'unwrapkey', { alg: 'CKM_AES_KEY_WRAP_PAD', value: b64u(local) });
        assert.equal(u.status, 200, `${len} bytes: ${u.body}`);
        assert.ok(unb64u(u.json.value).equals(cek), `${len} bytes: local wrap unwraps on the server to the exact length`);
      }
      for (const [how, cc] of clients(K.oct[bits])) {
        const cek = crypto.randomBytes(20);
        const w = await cc.wrapKey('CKM_AES_KEY_WRAP_PAD', cek);
        assert.equal(w.result.length, 32, how);
        assert.ok(bytesEq((await cc.unwrapKey('CKM_AES_KEY_WRAP_PAD', w.result)).result, cek), how);
      }
      // An RFC 3394 wrapping is not an RFC 5649 one (different IV), and the other way round.
      const cek = crypto.randomBytes(24);
      const kw = aesKw(bits, K.octK[bits], cek);
      assertErrorEnvelope(await op(K.octImp[bits], 'unwrapkey', { alg: 'CKM_AES_KEY_WRAP_PAD', value: b64u(kw) }), 400);
      const kwp = aesKw(bits, K.octK[bits], cek, { pad: true });
      assertErrorEnvelope(await op(K.octImp[bits], 'unwrapkey', { alg: 'CKM_AES_KEY_WRAP', value: b64u(kwp) }), 400);
    });
  }

  test('RFC 3394 §4.6 and RFC 5649 §6 test vectors on imported keys', async () => {
    const kek256 = Buffer.from('000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F', 'hex');
    const k256 = await kc.importKey(uniqueName('ckmv'), { kty: 'oct', k: new Uint8Array(kek256), keyOps: AES_OPS });
    const data3394 = Buffer.from('00112233445566778899AABBCCDDEEFF000102030405060708090A0B0C0D0E0F', 'hex');
    const want3394 = '28c9f404c4b810f4cbccb35cfb87f8263f5786e2d80ed326cbc7f0e71a99f43bfb988b9b7a02dd21';
    for (const alg of ['CKM_AES_KEY_WRAP', 'A256KW']) {
      const res = await op(k256, 'wrapkey', { alg, value: b64u(data3394) });
      assert.equal(res.status, 200, res.body);
      assert.equal(unb64u(res.json.value).toString('hex'), want3394, alg);
    }
    const kek192 = Buffer.from('5840df6e29b02af1ab493b705bf16ea1ae8338f4dcc176a8', 'hex');
    const k192 = await kc.importKey(uniqueName('ckmp'), { kty: 'oct', k: new Uint8Array(kek192), keyOps: AES_OPS });
    for (const [data, want] of [
      ['c37b7e6492584340bed12207808941155068f738', '138bdeaa9b8fa7fc61f97742e72248ee5ae6ae5360d1ae6a5f54f373fa543b6a'],
      ['466f7250617369', 'afbeb0f07dfbf5419200f2ccb50bb24f'],
    ]) {
      const res = await op(k192, 'wrapkey', { alg: 'CKM_AES_KEY_WRAP_PAD', value: b64u(Buffer.from(data, 'hex')) });
      assert.equal(res.status, 200, res.body);
      assert.equal(unb64u(res.json.value).toString('hex'), want, `RFC 5649 wrap of ${data}`);
      const u = await op(k192, 'unwrapkey', { alg: 'CKM_AES_KEY_WRAP_PAD', value: b64u(Buffer.from(want, 'hex')) });
      assert.equal(u.status, 200, u.body);
      assert.equal(unb64u(u.json.value).toString('hex'), data);
    }
  });

  test('CKM_AES_KEY_WRAP(_PAD) on an RSA or EC key → 400', async () => {
    for (const alg of ['CKM_AES_KEY_WRAP', 'CKM_AES_KEY_WRAP_PAD']) {
      assertErrorEnvelope(await op(K.rsa, 'wrapkey', { alg, value: b64u(crypto.randomBytes(32)) }), 400);
      assertErrorEnvelope(await op(K.rsa, 'unwrapkey', { alg, value: b64u(crypto.randomBytes(40)) }), 400);
    }
  });
});

describe('HMAC (HS256 / HS384 / HS512) on oct keys', () => {
  for (const [alg, hash, macLen] of [['HS256', 'sha256', 32], ['HS384', 'sha384', 48], ['HS512', 'sha512', 64]]) {
    test(`${alg}: MAC = node:crypto createHmac('${hash}') over the given bytes (any length); verify true; a flipped MAC → false`, async () => {
      for (const len of [1, 32, 48, 100]) {
        const data = crypto.randomBytes(len);
        const want = crypto.createHmac(hash, K.hmacK).update(data).digest();
        const res = await op(K.hmacImp, 'sign', { alg, value: b64u(data) });
        assert.equal(res.status, 200, `${len} bytes: ${res.body}`);
        assert.equal(res.json.kid, K.hmacImp.id);
        const mac = unb64u(res.json.value);
        assert.equal(mac.length, macLen, `${len} bytes: MAC length`);
        assert.ok(mac.equals(want), `${len} bytes: server MAC = createHmac over the value bytes`);
        const ok = await op(K.hmacImp, 'verify', { alg, digest: b64u(data), value: b64u(want) });
        assert.equal(ok.status, 200, ok.body);
        assert.deepEqual(ok.json, { value: true }, `${len} bytes: a local MAC verifies`);
        const bad = Buffer.from(want);
        bad[macLen - 1] ^= 0x01;
        const no = await op(K.hmacImp, 'verify', { alg, digest: b64u(data), value: b64u(bad) });
        assert.equal(no.status, 200, no.body);
        assert.deepEqual(no.json, { value: false }, `${len} bytes: a flipped MAC does not verify`);
        const short = await op(K.hmacImp, 'verify', { alg, digest: b64u(data), value: b64u(want.subarray(0, macLen - 1)) });
        assert.equal(short.status, 200, short.body);
        assert.deepEqual(short.json, { value: false }, `${len} bytes: a truncated MAC does not verify`);
      }
      const other = await op(K.hmacImp, 'verify', {
        alg, digest: b64u(Buffer.from('other')), value: b64u(crypto.createHmac(hash, K.hmacK).update('data').digest()),
      });
      assert.deepEqual(other.json, { value: false }, 'a MAC over other bytes does not verify');
      for (const [how, cc] of clients(K.hmacGen)) {
        const data = crypto.randomBytes(32);
        const s = await cc.sign(alg, data);
        assert.equal(s.result.length, macLen, how);
        assert.equal((await cc.verify(alg, data, s.result)).result, true, `${how}: server verify of its own MAC`);
        const bad = Buffer.from(s.result);
        bad[0] ^= 0x80;
        assert.equal((await cc.verify(alg, data, bad)).result, false, `${how}: flipped MAC`);
      }
    });
  }

  test('HS* on an RSA or EC key, RS256 / ES256 on an oct key → 400; an oct key without sign in key_ops → 403', async () => {
    const d = b64u(crypto.randomBytes(32));
    assertErrorEnvelope(await op(K.rsa, 'sign', { alg: 'HS256', value: d }), 400);
    assertErrorEnvelope(await op(K.ec['P-256'], 'sign', { alg: 'HS256', value: d }), 400);
    assertErrorEnvelope(await op(K.hmacImp, 'sign', { alg: 'RS256', value: d }), 400);
    assertErrorEnvelope(await op(K.hmacImp, 'sign', { alg: 'ES256', value: d }), 400);
    assertErrorEnvelope(await op(K.octImp[256], 'sign', { alg: 'HS256', value: d }), 403, 'Forbidden');
  });
});

describe('sign / verify', () => {
  const message = Buffer.from('the quick brown fox');

  for (const alg of RSA_SIG_ALGS) {
    test(`${alg}: server signature verifies locally and on the server; a flipped one does not`, async () => {
      const digest = digestFor(alg, message);
      const pub = publicKeyFromSdk(K.rsa.key);
      for (const [how, cc] of clients(K.rsa)) {
        const s = await cc.sign(alg, digest);
        assert.equal(s.result.length, 256, how);
        assert.ok(verifyLocally(alg, message, pub, s.result), `${how}: verifies with node:crypto`);
        assert.equal((await cc.verify(alg, digest, s.result)).result, true, `${how}: server verify`);
        // verifyData runs locally in the SDK; 4.10.2 verifies PS* there with PKCS#1 v1.5 padding
        // (node:crypto createVerify without PSS options), so only RS* can be checked this way.
        if (alg.startsWith('RS')) assert.equal((await cc.verifyData(alg, message, s.result)).result, true, `${how}: verifyData`);
        const bad = Buffer.from(s.result);
        bad[10] ^= 1;
        assert.equal((await cc.verify(alg, digest, bad)).result, false, `${how}: flipped signature`);
      }
    });
  }

  for (const { alg, crv, sigLen } of EC_SIG_ALGS) {
    test(`${alg} on ${crv}: raw R||S of ${sigLen} bytes verifies locally (ieee-p1363) and on the server`, async () => {
      const digest = digestFor(alg, message);
      const pub = publicKeyFromSdk(K.ec[crv].key);
      for (const [how, cc] of clients(K.ec[crv])) {
        const s = await cc.sign(alg, digest);
        assert.equal(s.result.length, sigLen, `${how}: signature length`);
        assert.ok(verifyLocally(alg, message, pub, s.result), `${how}: verifies with node:crypto`);
        assert.equal((await cc.verify(alg, digest, s.result)).result, true, `${how}: server verify`);
        const bad = Buffer.from(s.result);
        bad[sigLen - 1] ^= 1;
        assert.equal((await cc.verify(alg, digest, bad)).result, false, `${how}: flipped signature`);
      }
    });
  }

  test('the by-name client signs through /keys/{n}//sign', async () => {
    await kc.getCryptographyClient(K.ec['P-256'].name).sign('ES256', digestFor('ES256', message));
    assert.ok(requested.some((u) => u.includes(`/keys/${K.ec['P-256'].name}//sign`)), requested.slice(-5).join('\n'));
  });

  test('local RSA signatures (RS*, PS* with salt = digest length) verify on the server via raw POST .../verify', async () => {
    for (const alg of RSA_SIG_ALGS) {
      const sig = signLocally(alg, message, K.rsaLocal.privateKey);
      const digest = digestFor(alg, message);
      for (const version of [K.rsaImp.properties.version, '']) {
        const res = await op(K.rsaImp, 'verify', { alg, digest: b64u(digest), value: b64u(sig) }, version);
        assert.equal(res.status, 200, `${alg} ${version || '(latest)'}: ${res.body}`);
        assert.equal(res.json.value, true, `${alg} ${version || '(latest)'}`);
      }
      const other = digestFor(alg, Buffer.from('another message'));
      const res = await op(K.rsaImp, 'verify', { alg, digest: b64u(other), value: b64u(sig) });
      assert.equal(res.status, 200, res.body);
      assert.equal(res.json.value, false, `${alg}: signature over another digest`);
    }
  });

  test('local ECDSA signatures (ieee-p1363) verify on the server via raw POST .../verify', async () => {
    for (const { alg, crv } of EC_SIG_ALGS) {
      const sig = signLocally(alg, message, K.ecLocal[crv].privateKey);
      const digest = digestFor(alg, message);
      const res = await op(K.ecImp[crv], 'verify', { alg, digest: b64u(digest), value: b64u(sig) });
      assert.equal(res.status, 200, `${alg}: ${res.body}`);
      assert.equal(res.json.value, true, alg);
      const bad = Buffer.from(sig);
      bad[0] ^= 0x40;
      const neg = await op(K.ecImp[crv], 'verify', { alg, digest: b64u(digest), value: b64u(bad) });
      assert.equal(neg.status, 200, neg.body);
      assert.equal(neg.json.value, false, `${alg}: tampered`);
    }
  });

  test('a DER-encoded ECDSA signature does not verify (raw R||S only), and is never a 500', async () => {
    const der = crypto.sign('sha256', message, { key: K.ecLocal['P-256'].privateKey, dsaEncoding: 'der' });
    const res = await op(K.ecImp['P-256'], 'verify', { alg: 'ES256', digest: b64u(digestFor('ES256', message)), value: b64u(der) });
    assert.notEqual(res.status, 500, res.body);
    if (res.status === 200) assert.equal(res.json.value, false, 'a DER signature is not accepted');
    else assertErrorEnvelope(res, 400);
  });

  test('server signatures of imported keys verify with the local key pair', async () => {
    for (const alg of RSA_SIG_ALGS) {
      const s = await cryptoClientFor(server, K.rsaImp).sign(alg, digestFor(alg, message));
      assert.ok(verifyLocally(alg, message, K.rsaLocal.publicKey, s.result), alg);
    }
  });

  test('a digest of the wrong length → 400 (sign and verify)', async () => {
    const cases = [
      [K.rsa, 'RS256', 20], [K.rsa, 'PS384', 32], [K.rsa, 'RS512', 48],
      [K.ec['P-256'], 'ES256', 48], [K.ec['P-384'], 'ES384', 32], [K.ec['P-521'], 'ES512', 32], [K.ec['P-256K'], 'ES256K', 20],
    ];
    for (const [key, alg, len] of cases) {
      const digest = crypto.randomBytes(len);
      const s = await op(key, 'sign', { alg, value: b64u(digest) });
      assert.notEqual(s.status, 500, s.body);
      assertErrorEnvelope(s, 400);
      const v = await op(key, 'verify', { alg, digest: b64u(digest), value: b64u(crypto.randomBytes(64)) });
      assert.notEqual(v.status, 500, v.body);
      assertErrorEnvelope(v, 400);
    }
    await expectRestError(kc.getCryptographyClient(K.ec['P-256'].name).sign('ES256', crypto.randomBytes(20)), 400);
  });

  test('an algorithm that does not fit the key → 400', async () => {
    const d32 = b64u(crypto.randomBytes(32));
    const d48 = b64u(crypto.randomBytes(48));
    const cases = [
      [K.rsa, 'sign', { alg: 'ES256', value: d32 }, 'ES256 on RSA'],
      [K.ec['P-256'], 'sign', { alg: 'RS256', value: d32 }, 'RS256 on EC'],
      [K.ec['P-256'], 'sign', { alg: 'PS256', value: d32 }, 'PS256 on EC'],
      [K.ec['P-256'], 'sign', { alg: 'ES384', value: d48 }, 'ES384 on P-256'],
      [K.ec['P-256'], 'sign', { alg: 'ES256K', value: d32 }, 'ES256K on P-256'],
      [K.ec['P-256K'], 'sign', { alg: 'ES256', value: d32 }, 'ES256 on P-256K'],
      [K.oct[256], 'sign', { alg: 'RS256', value: d32 }, 'RS256 on oct'],
      [K.rsa, 'sign', { alg: 'FOO', value: d32 }, 'unknown sign alg'],
      [K.rsa, 'encrypt', { alg: 'A256GCM', value: b64u(plaintext) }, 'A256GCM on RSA'],
      [K.rsa, 'encrypt', { alg: 'FOO', value: b64u(plaintext) }, 'unknown encrypt alg'],
      [K.ec['P-256'], 'encrypt', { alg: 'RSA-OAEP', value: b64u(plaintext) }, 'RSA-OAEP on EC'],
      [K.oct[256], 'encrypt', { alg: 'RSA-OAEP', value: b64u(plaintext) }, 'RSA-OAEP on oct'],
      [K.oct[128], 'encrypt', { alg: 'A256GCM', value: b64u(plaintext) }, 'A256GCM on a 128-bit key'],
      [K.oct[256], 'encrypt', { alg: 'A128CBCPAD', value: b64u(plaintext) }, 'A128CBCPAD on a 256-bit key'],
      [K.rsa, 'wrapkey', { alg: 'A128KW', value: b64u(crypto.randomBytes(16)) }, 'A128KW on RSA'],
      [K.ec['P-384'], 'wrapkey', { alg: 'RSA-OAEP', value: b64u(crypto.randomBytes(16)) }, 'RSA-OAEP wrap on EC'],
    ];
    for (const [key, operation, body, what] of cases) {
      const res = await op(key, operation, body);
      assert.notEqual(res.status, 500, `${what}: ${res.body}`);
      assert.equal(res.status, 400, `${what}: ${res.status} ${res.body.slice(0, 300)}`);
      assertErrorEnvelope(res, 400);
    }
  });

  test('malformed operation bodies → 400, never 500', async () => {
    const cases = [
      [K.rsa, 'sign', {}, 'empty body object'],
      [K.rsa, 'sign', { alg: 'RS256' }, 'no value'],
      [K.rsa, 'sign', { alg: 'RS256', value: '!!!' }, 'value not base64url'],
      [K.rsa, 'sign', { alg: 256, value: b64u(crypto.randomBytes(32)) }, 'alg a number'],
      [K.rsa, 'verify', { alg: 'RS256', digest: b64u(crypto.randomBytes(32)) }, 'verify without value'],
      [K.rsa, 'decrypt', { alg: 'RSA-OAEP', value: null }, 'value null'],
      [K.oct[256], 'decrypt', { alg: 'A256GCM', value: b64u(plaintext) }, 'GCM decrypt without iv and tag'],
      [K.oct[256], 'decrypt', { alg: 'A256GCM', value: b64u(plaintext), iv: b64u(crypto.randomBytes(12)), tag: '%%' }, 'tag not base64url'],
      [K.oct[256], 'decrypt', { alg: 'A256CBCPAD', value: b64u(crypto.randomBytes(32)) }, 'CBC decrypt without iv'],
      [K.oct[256], 'decrypt', { alg: 'A256CBCPAD', value: b64u(crypto.randomBytes(32)), iv: b64u(crypto.randomBytes(7)) }, 'CBC iv of 7 bytes'],
      [K.rsa, 'sign', '{"alg":', 'truncated JSON'],
      [K.rsa, 'sign', [], 'body []'],
    ];
    for (const [key, operation, body, what] of cases) {
      const res = await op(key, operation, body);
      assert.notEqual(res.status, 500, `${what}: ${res.body}`);
      assert.equal(res.status, 400, `${what}: ${res.status} ${res.body.slice(0, 300)}`);
      assertErrorEnvelope(res, 400);
    }
  });

  test('operations on an unknown key or version → 404', async () => {
    const res = await keyRequest(server, {
      method: 'POST', path: `/keys/${uniqueName('nokey')}//sign`, body: { alg: 'ES256', value: b64u(crypto.randomBytes(32)) },
    });
    assertErrorEnvelope(res, 404);
    const v = await op(K.ec['P-256'], 'sign', { alg: 'ES256', value: b64u(crypto.randomBytes(32)) }, 'a'.repeat(32));
    assertErrorEnvelope(v, 404);
  });
});

describe('server-side enforcement (raw HTTP: the SDK checks key_ops, nbf and exp locally)', () => {
  const d32 = () => b64u(crypto.randomBytes(32));

  test('an operation missing from key_ops → 403 (or 400); allowed ones work', async () => {
    const signOnly = await kc.createRsaKey(uniqueName('opsr'), { keySize: 2048, keyOps: ['sign', 'verify'] });
    const ct = b64u(crypto.publicEncrypt({ key: publicKeyFromSdk(signOnly.key), padding: RSA_PKCS1_OAEP_PADDING }, plaintext));
    for (const [operation, body] of [
      ['encrypt', { alg: 'RSA-OAEP', value: b64u(plaintext) }],
      ['decrypt', { alg: 'RSA-OAEP', value: ct }],
      ['wrapkey', { alg: 'RSA-OAEP', value: d32() }],
      ['unwrapkey', { alg: 'RSA-OAEP', value: ct }],
    ]) {
      const res = await op(signOnly, operation, body);
      assertErrorEnvelope(res, [403, 400]);
    }
    const ok = await op(signOnly, 'sign', { alg: 'RS256', value: d32() });
    assert.equal(ok.status, 200, ok.body);

    const verifyOnly = await kc.createEcKey(uniqueName('opse'), { curve: 'P-256', keyOps: ['verify'] });
    assertErrorEnvelope(await op(verifyOnly, 'sign', { alg: 'ES256', value: d32() }), [403, 400]);
    const v = await op(verifyOnly, 'verify', { alg: 'ES256', digest: d32(), value: b64u(crypto.randomBytes(64)) });
    assert.equal(v.status, 200, v.body);
    assert.equal(v.json.value, false);

    // key_ops changed later by PATCH are enforced too.
    const later = await kc.createRsaKey(uniqueName('opsl'), { keySize: 2048, keyOps: RSA_OPS });
    await kc.updateKeyProperties(later.name, later.properties.version, { keyOps: ['encrypt'] });
    const ct2 = b64u(crypto.publicEncrypt({ key: publicKeyFromSdk(later.key), padding: RSA_PKCS1_OAEP_PADDING }, plaintext));
    assertErrorEnvelope(await op(later, 'decrypt', { alg: 'RSA-OAEP', value: ct2 }), [403, 400]);
    assertErrorEnvelope(await op(later, 'sign', { alg: 'RS256', value: d32() }), [403, 400]);
    assert.equal((await op(later, 'encrypt', { alg: 'RSA-OAEP', value: b64u(plaintext) })).status, 200);

    const aesEncOnly = await kc.createOctKey(uniqueName('opso'), { hsm: true, keySize: 256, keyOps: ['encrypt', 'decrypt'] });
    assertErrorEnvelope(await op(aesEncOnly, 'wrapkey', { alg: 'A256KW', value: d32() }), [403, 400]);
  });

  test('a disabled key version → 403 for every operation, by version and by the empty-version path', async () => {
    const key = await kc.createRsaKey(uniqueName('dis'), { keySize: 2048, keyOps: RSA_OPS });
    const ct = b64u(crypto.publicEncrypt({ key: publicKeyFromSdk(key.key), padding: RSA_PKCS1_OAEP_PADDING }, plaintext));
    // Used while enabled first, so that the server has the version cached when it is disabled.
    for (const version of [key.properties.version, '']) {
      assert.equal((await op(key, 'sign', { alg: 'RS256', value: d32() }, version)).status, 200);
    }
    await kc.updateKeyProperties(key.name, key.properties.version, { enabled: false });
    const bodies = [
      ['sign', { alg: 'RS256', value: d32() }],
      ['verify', { alg: 'RS256', digest: d32(), value: b64u(crypto.randomBytes(256)) }],
      ['encrypt', { alg: 'RSA-OAEP', value: b64u(plaintext) }],
      ['decrypt', { alg: 'RSA-OAEP', value: ct }],
      ['wrapkey', { alg: 'RSA-OAEP', value: d32() }],
      ['unwrapkey', { alg: 'RSA-OAEP', value: ct }],
    ];
    for (const version of [key.properties.version, '']) {
      for (const [operation, body] of bodies) {
        const res = await op(key, operation, body, version);
        assertErrorEnvelope(res, 403);
      }
    }
    // Another, enabled version of the same key works.
    const v2 = await kc.rotateKey(key.name);
    assert.equal((await op(v2, 'sign', { alg: 'RS256', value: d32() })).status, 200);
    assertErrorEnvelope(await op(key, 'sign', { alg: 'RS256', value: d32() }), 403);
    // Enabled again, the old version signs at once.
    await kc.updateKeyProperties(key.name, key.properties.version, { enabled: true });
    assert.equal((await op(key, 'sign', { alg: 'RS256', value: d32() })).status, 200);
  });

  // Azure "About keys", date-time controlled operations: outside the nbf/exp window a key still
  // decrypts, unwraps and verifies; encrypt, wrap and sign answer 403.
  async function assertWindowEnforced(key) {
    const ct = b64u(crypto.publicEncrypt({ key: publicKeyFromSdk(key.key), padding: RSA_PKCS1_OAEP_PADDING }, plaintext));
    for (const [operation, body] of [
      ['sign', { alg: 'RS256', value: d32() }],
      ['encrypt', { alg: 'RSA-OAEP', value: b64u(plaintext) }],
      ['wrapkey', { alg: 'RSA-OAEP', value: d32() }],
    ]) {
      assertErrorEnvelope(await op(key, operation, body), 403);
      assertErrorEnvelope(await op(key, operation, body, ''), 403);
    }
    return ct;
  }

  test('expired (exp in the past) → sign / encrypt / wrapKey 403', async () => {
    const key = await kc.createRsaKey(uniqueName('exp'), { keySize: 2048, keyOps: RSA_OPS });
    await kc.updateKeyProperties(key.name, key.properties.version, { expiresOn: new Date(Date.now() - 3_600_000) });
    await assertWindowEnforced(key);
  });

  test('not yet valid (nbf in the future) → sign / encrypt / wrapKey 403', async () => {
    const key = await kc.createRsaKey(uniqueName('nbf'), {
      keySize: 2048, keyOps: RSA_OPS, notBefore: new Date(Date.now() + 86_400_000),
    });
    await assertWindowEnforced(key);
  });

  test('outside nbf/exp, decrypt / unwrapKey / verify still work (Azure date-time controlled operations)', async () => {
    const key = await kc.createRsaKey(uniqueName('expd'), { keySize: 2048, keyOps: RSA_OPS });
    const digest = digestFor('RS256', plaintext);
    const sig = (await cryptoClientFor(server, key).sign('RS256', digest)).result;
    await kc.updateKeyProperties(key.name, key.properties.version, { expiresOn: new Date(Date.now() - 3_600_000) });
    const ct = b64u(crypto.publicEncrypt({ key: publicKeyFromSdk(key.key), padding: RSA_PKCS1_OAEP_PADDING }, plaintext));
    const dec = await op(key, 'decrypt', { alg: 'RSA-OAEP', value: ct });
    assert.equal(dec.status, 200, `decrypt on an expired key: ${dec.body}`);
    assert.ok(unb64u(dec.json.value).equals(plaintext));
    const unw = await op(key, 'unwrapkey', { alg: 'RSA-OAEP', value: ct });
    assert.equal(unw.status, 200, `unwrapKey on an expired key: ${unw.body}`);
    const ver = await op(key, 'verify', { alg: 'RS256', digest: b64u(digest), value: b64u(sig) });
    assert.equal(ver.status, 200, `verify on an expired key: ${ver.body}`);
    assert.equal(ver.json.value, true);
  });
});

describe('decryption failures are indistinguishable', () => {
  /** A CBC ciphertext (no padding added) of `blocks` under `k`; `iv` random. */
  function cbcRaw(bits, k, data, iv = crypto.randomBytes(16)) {
    const c = crypto.createCipheriv(`aes-${bits}-cbc`, k, iv);
    c.setAutoPadding(false);
    return { iv, ct: Buffer.concat([c.update(data), c.final()]) };
  }
  /** True when `ct` decrypts under `k` to a valid PKCS#7 padding. */
  function validPadding(bits, k, iv, ct) {
    const d = crypto.createDecipheriv(`aes-${bits}-cbc`, k, iv);
    try { Buffer.concat([d.update(ct), d.final()]); return true; } catch { return false; }
  }
  /** Random (iv, ct) of `len` bytes whose decryption under `k` has invalid padding. */
  function badPaddingGarbage(bits, k, len) {
    for (;;) {
      const iv = crypto.randomBytes(16);
      const ct = crypto.randomBytes(len);
      if (!validPadding(bits, k, iv, ct)) return { iv, ct };
    }
  }

  /** A k-byte block: `head`, then non-zero random bytes, then (when given) 0x00 and `msg`. */
  function block(k, head, msg) {
    const fill = Buffer.from(crypto.randomBytes(k - head.length - (msg ? msg.length + 1 : 0)).map((b) => b || 0x5a));
    return Buffer.concat([Buffer.from(head), fill, ...(msg ? [Buffer.from([0x00]), msg] : [])]);
  }
  /** True when a raw decrypted block has valid PKCS#1 v1.5 encryption padding. */
  const validPkcs1 = (em) => pkcs1Type2Unpad(em) !== null;

  test('RSA1_5 / RSA-OAEP / RSA-OAEP-256 / A*CBCPAD failures all answer one byte-identical 400 body', async () => {
    const cases = [];
    const add = (what, key, operation, body) => cases.push({ what, key, operation, body });
    // Every RSA1_5 ciphertext below decrypts to a block whose PKCS#1 v1.5 padding is invalid for
    // certain (a random block has valid padding about once in 10^5, an OAEP block once in ~400):
    // either it is built with raw RSA from a chosen block, or (imported key, private key known
    // locally) it is drawn again until its raw decryption has invalid padding.
    for (const [keyName, key, priv] of [['rsa', K.rsa, null], ['rsaImp', K.rsaImp, K.rsaLocal.privateKey]]) {
      const pub = publicKeyFromSdk(key.key);
      const otherPub = publicKeyFromSdk(K.rsaOther.key);
      /** Calls `make` until the ciphertext's padding is invalid under this key (needs `priv`). */
      const invalidUnderKey = (make) => {
        for (;;) {
          const ct = make();
          let em;
          try { em = rawRsaDecrypt(priv, ct); } catch { continue; } // not below this modulus: draw again
          if (!validPkcs1(em)) return ct;
        }
      };
      const good = {
        'RSA1_5': crypto.publicEncrypt({ key: pub, padding: RSA_PKCS1_PADDING }, plaintext),
        'RSA-OAEP': crypto.publicEncrypt({ key: pub, padding: RSA_PKCS1_OAEP_PADDING }, plaintext),
        'RSA-OAEP-256': crypto.publicEncrypt({ key: pub, padding: RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, plaintext),
      };
      const foreignOf = (alg) => crypto.publicEncrypt(alg === 'RSA1_5' ? { key: otherPub, padding: RSA_PKCS1_PADDING }
        : { key: otherPub, padding: RSA_PKCS1_OAEP_PADDING, oaepHash: alg === 'RSA-OAEP' ? 'sha1' : 'sha256' }, plaintext);
      const flippedOf = (ct) => {
        const f = Buffer.from(ct);
        f[100] ^= 0x04;
        return f;
      };

      for (const alg of ['RSA-OAEP', 'RSA-OAEP-256']) {
        // OAEP decoding fails unless a 20- or 32-byte hash matches: certain in practice.
        const garbage = crypto.randomBytes(256);
        garbage[0] = 0x01; // below the modulus (whose top bit is set)
        for (const operation of ['decrypt', 'unwrapkey']) {
          add(`${keyName} ${alg} ${operation}: random garbage`, key, operation, { alg, value: b64u(garbage) });
          add(`${keyName} ${alg} ${operation}: truncated ciphertext`, key, operation, { alg, value: b64u(good[alg].subarray(0, 255)) });
          add(`${keyName} ${alg} ${operation}: ciphertext for another key`, key, operation, { alg, value: b64u(foreignOf(alg)) });
          add(`${keyName} ${alg} ${operation}: one bit flipped`, key, operation, { alg, value: b64u(flippedOf(good[alg])) });
        }
      }

      const msg = Buffer.from('attack at dawn');
      const rsa15 = [
        ['random-looking block whose first byte is 0x01', rawRsaEncrypt(pub, block(256, [0x01]))],
        ['block type 1 (00 01 ... 00 message)', rawRsaEncrypt(pub, block(256, [0x00, 0x01], msg))],
        ['block type 2 without a zero separator', rawRsaEncrypt(pub, block(256, [0x00, 0x02]))],
        ['block type 2 with a 7-byte padding string', rawRsaEncrypt(pub, Buffer.concat([Buffer.from([0x00, 0x02]), block(7, []), Buffer.from([0x00]), block(246, [])]))],
        ['block type 2 with the separator right after 00 02', rawRsaEncrypt(pub, Buffer.concat([Buffer.from([0x00, 0x02, 0x00]), block(253, [])]))],
        ['truncated ciphertext', good.RSA1_5.subarray(0, 255)],
      ];
      if (priv) {
        rsa15.push(['ciphertext for another key', invalidUnderKey(() => foreignOf('RSA1_5'))]);
        rsa15.push(['one bit flipped', invalidUnderKey(() => flippedOf(crypto.publicEncrypt({ key: pub, padding: RSA_PKCS1_PADDING }, plaintext)))]);
      }
      for (const [what, ct] of rsa15) {
        for (const operation of ['decrypt', 'unwrapkey']) {
          add(`${keyName} RSA1_5 ${operation}: ${what}`, key, operation, { alg: 'RSA1_5', value: b64u(ct) });
        }
      }

      // A genuine OAEP-SHA1 ciphertext whose block cannot pass as PKCS#1 v1.5 (second byte not
      // 0x02), encoded locally so the block is known; the server decrypts it as RSA-OAEP first.
      let em;
      do em = oaepEncode('sha1', 256, plaintext, crypto.randomBytes(20)); while (em[1] === 0x02);
      const oaepCt = rawRsaEncrypt(pub, em);
      const asOaep = await op(key, 'decrypt', { alg: 'RSA-OAEP', value: b64u(oaepCt) });
      assert.equal(asOaep.status, 200, `${keyName}: the locally OAEP-encoded ciphertext is valid RSA-OAEP: ${asOaep.body}`);
      assert.ok(unb64u(asOaep.json.value).equals(plaintext));
      add(`${keyName} RSA1_5: an OAEP ciphertext`, key, 'decrypt', { alg: 'RSA1_5', value: b64u(oaepCt) });
      add(`${keyName} RSA-OAEP: a PKCS#1 v1.5 ciphertext`, key, 'decrypt', { alg: 'RSA-OAEP', value: b64u(good.RSA1_5) });
      add(`${keyName} RSA-OAEP: an OAEP-256 ciphertext`, key, 'decrypt', { alg: 'RSA-OAEP', value: b64u(good['RSA-OAEP-256']) });
      add(`${keyName} RSA-OAEP-256: an OAEP-SHA1 ciphertext`, key, 'decrypt', { alg: 'RSA-OAEP-256', value: b64u(good['RSA-OAEP']) });
    }
    for (const bits of [128, 192, 256]) {
      const alg = `A${bits}CBCPAD`;
      const k = K.octK[bits];
      const key = K.octImp[bits];
      const badPad = cbcRaw(bits, k, Buffer.concat([Buffer.alloc(31, 0x41), Buffer.from([0x41])]));
      add(`${alg}: last byte 0x41 (bad padding)`, key, 'decrypt', { alg, value: b64u(badPad.ct), iv: b64u(badPad.iv) });
      const badPad2 = cbcRaw(bits, k, Buffer.concat([Buffer.alloc(29, 0x41), Buffer.from([0x07, 0x03, 0x03])]));
      add(`${alg}: 03 03 preceded by 07 (bad padding)`, key, 'decrypt', { alg, value: b64u(badPad2.ct), iv: b64u(badPad2.iv) });
      const zeroPad = cbcRaw(bits, k, Buffer.alloc(32, 0x00));
      add(`${alg}: last byte 0x00 (bad padding)`, key, 'decrypt', { alg, value: b64u(zeroPad.ct), iv: b64u(zeroPad.iv) });
      const g = badPaddingGarbage(bits, k, 48);
      add(`${alg}: random garbage`, key, 'decrypt', { alg, value: b64u(g.ct), iv: b64u(g.iv) });
      const allA = cbcRaw(bits, k, Buffer.alloc(48, 0x41));
      add(`${alg}: truncated by one block`, key, 'decrypt', { alg, value: b64u(allA.ct.subarray(0, 32)), iv: b64u(allA.iv) });
      const otherK = crypto.randomBytes(bits / 8);
      let foreign;
      do {
        const iv = crypto.randomBytes(16);
        const c = crypto.createCipheriv(`aes-${bits}-cbc`, otherK, iv);
        foreign = { iv, ct: Buffer.concat([c.update(plaintext), c.final()]) };
      } while (validPadding(bits, k, foreign.iv, foreign.ct));
      add(`${alg}: ciphertext for another key`, key, 'decrypt', { alg, value: b64u(foreign.ct), iv: b64u(foreign.iv) });
    }

    const results = [];
    for (const c of cases) {
      const res = await op(c.key, c.operation, c.body);
      results.push({ what: c.what, status: res.status, body: res.body, json: res.json });
    }
    const not400 = results.filter((r) => r.status !== 400);
    assert.deepEqual(not400.map((r) => `${r.what}: ${r.status} ${r.body.slice(0, 200)}`), [], 'every failed decryption is a 400');
    for (const r of results) assertErrorEnvelope({ status: r.status, body: r.body, json: r.json }, 400);
    const byBody = new Map();
    for (const r of results) {
      if (!byBody.has(r.body)) byBody.set(r.body, []);
      byBody.get(r.body).push(r.what);
    }
    const summary = [...byBody.entries()].map(([body, whats]) => `${whats.length}× ${body}\n    e.g. ${whats.slice(0, 4).join('; ')}`).join('\n');
    assert.equal(byBody.size, 1, `failed decryptions must be indistinguishable; distinct bodies:\n${summary}`);
  });

  test('AES-GCM tag failure and AES-KW integrity failure → 400 with that same body', async () => {
    const ref = await op(K.octImp[256], 'decrypt', {
      alg: 'A256CBCPAD', value: b64u(cbcRaw(256, K.octK[256], Buffer.alloc(32, 0x41)).ct), iv: b64u(crypto.randomBytes(16)),
    });
    const gcm = await op(K.octImp[256], 'decrypt', {
      alg: 'A256GCM', value: b64u(crypto.randomBytes(40)), iv: b64u(crypto.randomBytes(12)), tag: b64u(crypto.randomBytes(16)),
    });
    const kw = await op(K.octImp[256], 'unwrapkey', { alg: 'A256KW', value: b64u(crypto.randomBytes(40)) });
    assertErrorEnvelope(gcm, 400);
    assertErrorEnvelope(kw, 400);
    assertErrorEnvelope(ref, 400);
    assert.equal(gcm.body, ref.body, 'GCM tag failure body = decryption failure body');
    assert.equal(kw.body, ref.body, 'KW integrity failure body = decryption failure body');
  });

  test('ciphertexts of impossible lengths → 400 with the decryption-failure body, never 500', async () => {
    const ref = await op(K.octImp[256], 'decrypt', {
      alg: 'A256CBCPAD', value: b64u(cbcRaw(256, K.octK[256], Buffer.alloc(32, 0x41)).ct), iv: b64u(crypto.randomBytes(16)),
    });
    assertErrorEnvelope(ref, 400, 'BadParameter');
    const cases = [];
    const add = (what, key, operation, body) => cases.push({ what, key, operation, body });
    for (const bits of [128, 192, 256]) {
      const key = K.octImp[bits];
      const iv = b64u(crypto.randomBytes(16));
      for (const len of [15, 17, 31, 33]) {
        add(`A${bits}CBCPAD: ${len}-byte ciphertext`, key, 'decrypt', { alg: `A${bits}CBCPAD`, value: b64u(crypto.randomBytes(len)), iv });
        add(`A${bits}CBC: ${len}-byte ciphertext`, key, 'decrypt', { alg: `A${bits}CBC`, value: b64u(crypto.randomBytes(len)), iv });
      }
      // RFC 3394 output is n + 1 >= 3 blocks of 8 bytes; RFC 5649 output >= 2 blocks.
      const wrapped = aesKw(bits, K.octK[bits], crypto.randomBytes(32));
      for (const len of [8, 16, 23, 25, 39]) {
        const value = b64u(len <= wrapped.length ? wrapped.subarray(0, len) : crypto.randomBytes(len));
        add(`A${bits}KW: ${len}-byte wrapped key`, key, 'unwrapkey', { alg: `A${bits}KW`, value });
        add(`CKM_AES_KEY_WRAP (${bits}): ${len}-byte wrapped key`, key, 'unwrapkey', { alg: 'CKM_AES_KEY_WRAP', value });
      }
      for (const len of [8, 12, 15, 17, 31]) {
        add(`CKM_AES_KEY_WRAP_PAD (${bits}): ${len}-byte wrapped key`, key, 'unwrapkey', { alg: 'CKM_AES_KEY_WRAP_PAD', value: b64u(crypto.randomBytes(len)) });
      }
    }
    for (const key of [K.rsa, K.rsaImp]) {
      const pub = publicKeyFromSdk(key.key);
      for (const alg of ['RSA1_5', 'RSA-OAEP', 'RSA-OAEP-256']) {
        const opts = alg === 'RSA1_5' ? { key: pub, padding: RSA_PKCS1_PADDING }
          : { key: pub, padding: RSA_PKCS1_OAEP_PADDING, oaepHash: alg === 'RSA-OAEP' ? 'sha1' : 'sha256' };
        const good = crypto.publicEncrypt(opts, plaintext);
        const long = crypto.randomBytes(257);
        long[0] = 0x01;
        for (const operation of ['decrypt', 'unwrapkey']) {
          add(`${key.name} ${alg} ${operation}: 257 random bytes (longer than the modulus)`, key, operation, { alg, value: b64u(long) });
          // Same number as a valid ciphertext, but not k bytes (RFC 8017 §7.1.2 / §7.2.2 step 1).
          add(`${key.name} ${alg} ${operation}: a valid ciphertext with a leading 0x00 (257 bytes)`, key, operation,
            { alg, value: b64u(Buffer.concat([Buffer.from([0x00]), good])) });
          add(`${key.name} ${alg} ${operation}: 512 bytes`, key, operation, { alg, value: b64u(Buffer.concat([good, good])) });
          add(`${key.name} ${alg} ${operation}: 1 byte`, key, operation, { alg, value: b64u(Buffer.from([0x01])) });
        }
      }
    }
    const wrong = [];
    for (const c of cases) {
      const res = await op(c.key, c.operation, c.body);
      if (res.status !== 400 || res.body !== ref.body) wrong.push(`${c.what}: ${res.status} ${res.body.slice(0, 200)}`);
    }
    assert.deepEqual(wrong, [], `every impossible length must answer 400 with the body ${ref.body}`);
  });

  test('verify with a digest (or signature) that is not base64url → 400 BadParameter, never 500', async () => {
    const digest = b64u(crypto.randomBytes(32));
    const cases = [
      [K.rsa, { alg: 'RS256', digest: '!!!!', value: b64u(crypto.randomBytes(256)) }, 'RS256 digest "!!!!"'],
      [K.rsa, { alg: 'PS256', digest: `${digest.slice(0, 20)}*${digest.slice(21)}`, value: b64u(crypto.randomBytes(256)) }, 'PS256 digest with a "*"'],
      [K.ec['P-256'], { alg: 'ES256', digest: 'a b c d', value: b64u(crypto.randomBytes(64)) }, 'ES256 digest with spaces'],
      [K.ec['P-256'], { alg: 'ES256', digest: 12345, value: b64u(crypto.randomBytes(64)) }, 'ES256 digest a number'],
      [K.ec['P-256'], { alg: 'ES256', digest: null, value: b64u(crypto.randomBytes(64)) }, 'ES256 digest null'],
      [K.hmacImp, { alg: 'HS256', digest: 'é', value: b64u(crypto.randomBytes(32)) }, 'HS256 digest non-ASCII'],
      [K.ec['P-256'], { alg: 'ES256', value: b64u(crypto.randomBytes(64)) }, 'no digest'],
      [K.ec['P-256'], { alg: 'ES256', digest, value: '%%%%' }, 'signature "%%%%"'],
    ];
    for (const [key, body, what] of cases) {
      const res = await op(key, 'verify', body);
      assert.notEqual(res.status, 500, `${what}: ${res.body}`);
      assertErrorEnvelope(res, 400, 'BadParameter');
    }
  });
});

describe('rotation keeps old versions usable', () => {
  test('a signature of an old version still verifies after rotation; the old version still signs and decrypts', async () => {
    const v1 = await kc.createRsaKey(uniqueName('rotc'), { keySize: 2048, keyOps: RSA_OPS });
    const digest = digestFor('PS256', plaintext);
    const sig1 = (await cryptoClientFor(server, v1).sign('PS256', digest)).result;
    const ct1 = crypto.publicEncrypt({ key: publicKeyFromSdk(v1.key), padding: RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, plaintext);
    const v2 = await kc.rotateKey(v1.name);
    assert.notEqual(v2.properties.version, v1.properties.version);

    const cc1 = cryptoClientFor(server, v1);
    assert.equal((await cc1.verify('PS256', digest, sig1)).result, true, 'old signature, old version');
    const onLatest = await op(v1, 'verify', { alg: 'PS256', digest: b64u(digest), value: b64u(sig1) }, '');
    assert.equal(onLatest.status, 200, onLatest.body);
    assert.equal(onLatest.json.value, false, 'the latest (rotated) version does not verify the old signature');
    const sig1b = (await cc1.sign('PS256', digest)).result;
    assert.ok(verifyLocally('PS256', plaintext, publicKeyFromSdk(v1.key), sig1b), 'old version still signs');
    assert.ok(bytesEq((await cc1.decrypt('RSA-OAEP-256', ct1)).result, plaintext), 'old version still decrypts');
    const latestDec = await op(v1, 'decrypt', { alg: 'RSA-OAEP-256', value: b64u(ct1) }, '');
    assertErrorEnvelope(latestDec, 400);
    // The by-name client now works on the new version.
    const sig2 = (await kc.getCryptographyClient(v1.name).sign('PS256', digest)).result;
    assert.ok(verifyLocally('PS256', plaintext, publicKeyFromSdk(v2.key), sig2), 'by-name signs with the latest version');
  });
});
