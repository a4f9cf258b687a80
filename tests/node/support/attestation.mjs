// A stand-in attestation authority for secure key release tests: an HTTPS server on
// localhost:<port> serving its OpenID discovery document and JWKS, a signer of RS256
// tokens in the shape Microsoft Azure Attestation issues (x-ms-runtime.keys carries the key the
// released key is wrapped to), and the opening of a released key_hsm with that runtime key.
//
// TLS: the server certificate is the dev server certificate of the shared CA
// (COFFER_CA_DIR/tls/server.pem, SAN localhost; OpenSSL does not match *.localhost to a single
// label), so Node trusts it through NODE_EXTRA_CA_CERTS and Coffer through
// COFFER_EXTRA_CA_CERTS=caFile() — its dev-mode outbound trust setting.
import crypto from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';

const b64u = (buf) => Buffer.from(buf).toString('base64url');

/** The shared CA's certificate file, for the server's COFFER_EXTRA_CA_CERTS. */
export function caFile() {
  const dir = process.env.COFFER_CA_DIR;
  if (!dir) throw new Error('COFFER_CA_DIR is not set; run the suite through run-tests.mjs');
  return path.join(dir, 'tls', 'ca.pem');
}

/**
 * Starts the authority. Returns {url, requests(), token(claims?, {header, nonce}?), runtime,
 * stop()}: `token` signs the default claims (iss, iat/nbf/exp, "sdk-test": true,
 * x-ms-runtime.keys with the runtime key, and x-ms-runtime.client-payload.nonce when `nonce` is
 * given) merged with `claims`; `runtime` is that RSA key pair.
 */
export async function startAuthority({ host = 'localhost' } = {}) {
  const dir = path.join(process.env.COFFER_CA_DIR ?? '', 'tls');
  const signing = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const runtime = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = `signing-${crypto.randomBytes(4).toString('hex')}`;
  let count = 0;
  let url = '';
  const server = https.createServer({
    cert: fs.readFileSync(path.join(dir, 'server.pem')),
    key: fs.readFileSync(path.join(dir, 'server-key.pem')),
  }, (req, res) => {
    count += 1;
    const route = (req.url ?? '').split('?')[0];
    let body;
    if (route === '/.well-known/openid-configuration') body = { issuer: url, jwks_uri: `${url}/certs` };
    if (route === '/certs') {
      body = { keys: [{ ...signing.publicKey.export({ format: 'jwk' }), kid, use: 'sig', alg: 'RS256' }] };
    }
    if (!body) { res.writeHead(404).end(); return; }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `https://${host}:${server.address().port}`;
  const runtimeJwk = runtime.publicKey.export({ format: 'jwk' });

  function token(claims = {}, { header = {}, nonce } = {}) {
    const now = Math.floor(Date.now() / 1000);
    const runtimeClaim = { keys: [{ ...runtimeJwk, kid: 'TpmEphemeralEncryptionKey', key_ops: ['encrypt'] }] };
    if (nonce !== undefined) runtimeClaim['client-payload'] = { nonce };
    const payload = {
      iss: url, iat: now, nbf: now, exp: now + 600, 'sdk-test': true, 'x-ms-runtime': runtimeClaim,
      ...claims,
    };
    const input = `${b64u(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid, ...header }))}.${b64u(JSON.stringify(payload))}`;
    return `${input}.${b64u(crypto.sign('RSA-SHA256', Buffer.from(input), signing.privateKey))}`;
  }

  return {
    url,
    runtime,
    token,
    requests: () => count,
    stop: () => new Promise((resolve) => server.close(resolve)),
  };
}

/** A release policy for `authority`: `claim` must equal `equals`. */
export function releasePolicy(authority, claim = 'sdk-test', equals = true) {
  return Buffer.from(JSON.stringify({
    version: '1.0.0',
    anyOf: [{ authority, allOf: [{ claim, equals }] }],
  }));
}

const OAEP_HASH = { CKM_RSA_AES_KEY_WRAP: 'sha1', RSA_AES_KEY_WRAP_256: 'sha256', RSA_AES_KEY_WRAP_384: 'sha384' };

/**
 * Opens a release answer's key_hsm with the runtime private key: RSA-OAEP of an AES-256 key,
 * then AES key wrap with padding (RFC 5649) of the key's PKCS#8 DER. Returns {header, keyObject}.
 */
export function openKeyHsm(keyHsm, runtimePrivateKey) {
  const doc = JSON.parse(Buffer.from(keyHsm, 'base64url').toString('utf8'));
  const ciphertext = Buffer.from(doc.ciphertext, 'base64url');
  const size = runtimePrivateKey.asymmetricKeyDetails.modulusLength / 8;
  const aes = crypto.privateDecrypt({
    key: runtimePrivateKey,
    padding: crypto.constants.RSA_PKCS1_OAEP_PADDING,
    oaepHash: OAEP_HASH[doc.header.enc],
  }, ciphertext.subarray(0, size));
  const decipher = crypto.createDecipheriv('id-aes256-wrap-pad', aes, Buffer.from('A65959A6', 'hex'));
  const der = Buffer.concat([decipher.update(ciphertext.subarray(size)), decipher.final()]);
  return { header: doc.header, schemaVersion: doc.schema_version, keyObject: crypto.createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }) };
}

/** The payload of a compact JWS whose ES256 signature verifies with `jwks` (Coffer's). */
export function verifiedJwsPayload(jws, jwks) {
  const [h, p, s] = jws.split('.');
  const header = JSON.parse(Buffer.from(h, 'base64url'));
  const jwk = jwks.keys.find((k) => k.kid === header.kid);
  if (!jwk || header.alg !== 'ES256') throw new Error(`JWS header ${JSON.stringify(header)} names no key of the JWKS`);
  const ok = crypto.verify('sha256', Buffer.from(`${h}.${p}`),
    { key: crypto.createPublicKey({ key: jwk, format: 'jwk' }), dsaEncoding: 'ieee-p1363' },
    Buffer.from(s, 'base64url'));
  if (!ok) throw new Error('the release answer\'s signature does not verify with Coffer\'s JWKS');
  return JSON.parse(Buffer.from(p, 'base64url'));
}
