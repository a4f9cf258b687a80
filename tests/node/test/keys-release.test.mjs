// Secure key release through the unmodified @azure/keyvault-keys KeyClient.releaseKey against a
// stand-in attestation authority served over HTTPS in this test (CONTRACT.md "Secure key
// release"): the answer is a JWS signed by Coffer whose key_hsm opens, with the runtime key the
// token carries, to the very key; refusals are 4xx naming the rule; key attestation is a 400.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { startServer } from '../support/server.mjs';
import { rawRequest } from '../support/http.mjs';
import { expectRestError, innerCode, uniqueName } from '../support/azure.mjs';
import { keyClient } from '../support/keys.mjs';
import {
  caFile, openKeyHsm, releasePolicy, startAuthority, verifiedJwsPayload,
} from '../support/attestation.mjs';

let server;
let client;
let authority;
let jwks;

before(async () => {
  authority = await startAuthority();
  server = await startServer({ env: { COFFER_EXTRA_CA_CERTS: caFile() } });
  client = keyClient(server);
  const res = await rawRequest({ port: server.port, path: `/${server.creds.tenantId}/discovery/v2.0/keys` });
  assert.equal(res.status, 200);
  jwks = res.json;
});
after(async () => {
  await server?.remove();
  await authority?.stop();
});

async function exportableRsa(name, policy = releasePolicy(authority.url)) {
  return client.createRsaKey(name, {
    exportable: true, releasePolicy: { encodedPolicy: policy }, keyOps: ['encrypt', 'decrypt'],
  });
}

describe('KeyClient.releaseKey', () => {
  test('releases the key wrapped to the runtime key of the token, in a JWS signed by Coffer', async () => {
    const name = uniqueName('skr');
    const key = await exportableRsa(name);
    const result = await client.releaseKey(name, authority.token());
    const payload = verifiedJwsPayload(result.value, jwks);
    assert.equal(payload.request.enc, 'CKM_RSA_AES_KEY_WRAP');
    assert.equal(payload.request.kid, `https://dev.vault.localhost:${server.port}/keys/${name}`);
    const released = payload.response.key;
    assert.equal(released.key.kid, key.id);
    assert.equal(released.attributes.exportable, true);
    assert.equal(released.key.d, undefined);
    const opened = openKeyHsm(released.key.key_hsm, authority.runtime.privateKey);
    assert.equal(opened.schemaVersion, '1.0');
    assert.deepEqual(opened.header, { alg: 'dir', enc: 'CKM_RSA_AES_KEY_WRAP', kid: 'TpmEphemeralEncryptionKey' });
    const jwk = opened.keyObject.export({ format: 'jwk' });
    assert.equal(jwk.n, Buffer.from(key.key.n).toString('base64url'));
    // The released private key is the vault's key: it decrypts what the vault's key encrypts.
    const secret = crypto.randomBytes(32);
    const sealed = crypto.publicEncrypt({ key: opened.keyObject, oaepHash: 'sha256' }, secret);
    const crypto_ = client.getCryptographyClient(name);
    assert.deepEqual(Buffer.from((await crypto_.decrypt({ algorithm: 'RSA-OAEP-256', ciphertext: sealed })).result), secret);
  });

  test('a version, the other algorithms and a nonce carried by the token', async () => {
    const name = uniqueName('skrv');
    const key = await exportableRsa(name);
    for (const algorithm of ['RSA_AES_KEY_WRAP_256', 'RSA_AES_KEY_WRAP_384']) {
      const nonce = crypto.randomUUID();
      const token = authority.token({}, { nonce });
      const result = await client.releaseKey(name, token, { version: key.properties.version, algorithm, nonce });
      const payload = verifiedJwsPayload(result.value, jwks);
      assert.equal(payload.request.kid, key.id);
      assert.equal(payload.request.nonce, nonce);
      const opened = openKeyHsm(payload.response.key.key.key_hsm, authority.runtime.privateKey);
      assert.equal(opened.header.enc, algorithm);
      // The same nonce again is a replay.
      const err = await expectRestError(client.releaseKey(name, token, { algorithm, nonce }), 400);
      assert.match(err.message, /already used/);
    }
  });

  test('refusals: policy not met, foreign signer, expired, authority not allowed, not exportable, unknown algorithm', async () => {
    const name = uniqueName('skrx');
    await exportableRsa(name);
    let err = await expectRestError(client.releaseKey(name, authority.token({ 'sdk-test': false })), 403);
    assert.match(err.message, /claim 'sdk-test'/);
    assert.equal(innerCode(err), 'KeyReleaseDenied');

    const other = await startAuthority();  // another signing key under another kid
    const forged = other.token({ iss: authority.url });
    await other.stop();
    err = await expectRestError(client.releaseKey(name, forged), 400);
    assert.match(err.message, /does not publish|signature/);

    err = await expectRestError(client.releaseKey(name, authority.token({ exp: Math.floor(Date.now() / 1000) - 3600 })), 400);
    assert.match(err.message, /expired/);

    const foreign = uniqueName('skrf');
    await exportableRsa(foreign, releasePolicy('https://attest.example.com'));
    const before = authority.requests();
    err = await expectRestError(client.releaseKey(foreign, authority.token({ iss: 'https://attest.example.com' })), 403);
    assert.match(err.message, /\[release\] authorities/);
    assert.equal(authority.requests(), before);

    const plain = uniqueName('skrp');
    await client.createRsaKey(plain);
    err = await expectRestError(client.releaseKey(plain, authority.token()), 400);
    assert.match(err.message, /not exportable/);

    err = await expectRestError(client.releaseKey(name, authority.token(), { algorithm: 'RSA-OAEP' }), 400);
    assert.match(err.message, /RSA_AES_KEY_WRAP_256/);
  });
});

describe('KeyClient.getKeyAttestation', () => {
  test('a software key has no attestation → 400 saying so', async () => {
    const name = uniqueName('att');
    const key = await client.createRsaKey(name, { hsm: true });
    let err = await expectRestError(client.getKeyAttestation(name), 400);
    assert.match(err.message, /software/);
    err = await expectRestError(client.getKeyAttestation(name, { version: key.properties.version }), 400);
    assert.match(err.message, /software/);
    await expectRestError(client.getKeyAttestation(uniqueName('none')), 404);
  });
});
