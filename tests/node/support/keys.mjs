// Keys API helpers: KeyClient / CryptographyClient construction, raw key-route requests, and
// conversions between node:crypto JWKs (base64url strings) and the SDK's JsonWebKey (Uint8Array
// parts). Pure Azure contract; nothing Coffer-specific lives here.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { KeyClient, CryptographyClient } from '@azure/keyvault-keys';
import { rawRequest, withApi } from './http.mjs';
import { credentialFor, dataToken, vaultUrl } from './azure.mjs';

/** A KeyClient on `vault` (default: the dev vault) with a fresh credential. */
export function keyClient(server, vault = 'dev', options = {}) {
  return new KeyClient(vaultUrl(server, vault), credentialFor(server.creds), options);
}

/** A CryptographyClient built from a KeyVaultKey (versioned kid → `/keys/{n}/{v}/op`). */
export function cryptoClientFor(server, keyVaultKey) {
  return new CryptographyClient(keyVaultKey, credentialFor(server.creds));
}

/**
 * One data-plane request to `vault` (default dev) with a data token; `path` gets
 * `api-version=7.6` unless it already has one. Does not throw on non-2xx.
 */
export async function keyRequest(server, { vault = 'dev', method = 'GET', path, body, headers, apiVersion = '7.6' }) {
  return rawRequest({
    port: server.port,
    host: `${vault}.vault.localhost`,
    method,
    path: /[?&]api-version=/.test(path) ? path : withApi(path, apiVersion),
    body,
    headers,
    token: await dataToken(server),
  });
}

export const b64u = (buf) => Buffer.from(buf).toString('base64url');
export const unb64u = (s) => Buffer.from(s, 'base64url');

/** The JWK private members that must never leave the server. */
export const PRIVATE_JWK_PARTS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'];

/** Asserts that a raw wire JWK (`key` of a bundle) holds no private member. */
export function assertNoPrivateParts(jwk, where = 'key') {
  assert.ok(jwk && typeof jwk === 'object', `${where}: no key object`);
  for (const part of PRIVATE_JWK_PARTS) {
    assert.equal(jwk[part], undefined, `${where}: private part "${part}" returned: ${JSON.stringify(jwk).slice(0, 300)}`);
  }
}

/** Node's JWK curve names vs Key Vault's. */
const NODE_CRV = { 'P-256': 'P-256', 'P-384': 'P-384', 'P-521': 'P-521', 'P-256K': 'secp256k1' };
const KV_CRV = Object.fromEntries(Object.entries(NODE_CRV).map(([a, b]) => [b, a]));
export const nodeCurve = (kvCrv) => NODE_CRV[kvCrv];

/** Coordinate size in bytes of a Key Vault curve. */
export const CURVE_BYTES = { 'P-256': 32, 'P-384': 48, 'P-521': 66, 'P-256K': 32 };

/** node:crypto JWK export (base64url strings) → the SDK's JsonWebKey (Uint8Array parts). */
export function nodeJwkToSdk(jwk, extra = {}) {
  const out = { kty: jwk.kty, ...extra };
  for (const part of ['n', 'e', 'd', 'p', 'q', 'dp', 'dq', 'qi', 'x', 'y', 'k']) {
    if (jwk[part] !== undefined) out[part] = new Uint8Array(unb64u(jwk[part]));
  }
  if (jwk.crv) out.crv = KV_CRV[jwk.crv] ?? jwk.crv;
  return out;
}

/** A KeyObject (public) from the SDK's JsonWebKey of an RSA or EC key. */
export function publicKeyFromSdk(key) {
  const kty = String(key.kty).replace(/-HSM$/, '');
  if (kty === 'RSA') {
    return crypto.createPublicKey({ format: 'jwk', key: { kty: 'RSA', n: b64u(key.n), e: b64u(key.e) } });
  }
  if (kty === 'EC') {
    return crypto.createPublicKey({
      format: 'jwk', key: { kty: 'EC', crv: nodeCurve(key.crv), x: b64u(key.x), y: b64u(key.y) },
    });
  }
  throw new Error(`no public key for kty ${key.kty}`);
}

/** Hash (node name) and digest length of a signature algorithm. */
export function hashOf(alg) {
  const bits = Number(/(\d{3})K?$/.exec(alg)[1]);
  const hash = { 256: 'sha256', 384: 'sha384', 512: 'sha512' }[bits];
  assert.ok(hash, `no hash for ${alg}`);
  return { hash, length: bits / 8 };
}

/** Digest of `message` for the signature algorithm `alg`. */
export const digestFor = (alg, message) => crypto.createHash(hashOf(alg).hash).update(message).digest();

/** node:crypto key options to sign/verify with `alg` (PSS salt = digest length, ECDSA raw R||S). */
export function nodeSigOptions(alg, key) {
  if (alg.startsWith('PS')) {
    return { key, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: hashOf(alg).length };
  }
  if (alg.startsWith('RS')) return { key, padding: crypto.constants.RSA_PKCS1_PADDING };
  return { key, dsaEncoding: 'ieee-p1363' };
}

/** Verifies `signature` over `message` (not its digest) locally with node:crypto. */
export function verifyLocally(alg, message, publicKey, signature) {
  return crypto.verify(hashOf(alg).hash, message, nodeSigOptions(alg, publicKey), Buffer.from(signature));
}

/** Signs `message` locally with node:crypto in the Key Vault wire form of `alg`. */
export function signLocally(alg, message, privateKey) {
  return crypto.sign(hashOf(alg).hash, message, nodeSigOptions(alg, privateKey));
}

/** Fresh local key pairs plus their SDK JsonWebKey form (private parts included). */
export function localRsa(bits = 2048, publicExponent = 65537) {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('rsa', { modulusLength: bits, publicExponent });
  return { privateKey, publicKey, jwk: privateKey.export({ format: 'jwk' }) };
}

export function localEc(kvCrv) {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: nodeCurve(kvCrv) });
  return { privateKey, publicKey, jwk: privateKey.export({ format: 'jwk' }) };
}

/** Every signature algorithm with the key it needs. */
export const RSA_SIG_ALGS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'];
export const EC_SIG_ALGS = [
  { alg: 'ES256', crv: 'P-256', sigLen: 64 },
  { alg: 'ES384', crv: 'P-384', sigLen: 96 },
  { alg: 'ES512', crv: 'P-521', sigLen: 132 },
  { alg: 'ES256K', crv: 'P-256K', sigLen: 64 },
];
