// Identity: the OAuth2 token endpoint, discovery, JWKS, and validation of every bearer token
// (DESIGN.md §2 "Identity and tokens").
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { SecretClient } from '@azure/keyvault-secrets';
import { startServer } from '../support/server.mjs';
import { rawRequest, withApi } from '../support/http.mjs';
import {
  credentialFor, dataToken, mgmtToken, VAULT_SCOPE, MGMT_SCOPE, VAULT_RESOURCE, MGMT_RESOURCE, ARM_API,
} from '../support/azure.mjs';
import {
  assemble, b64url, decodeJwt, encodeJson, signEs256, signHs256, verifyWithJwk,
} from '../support/jwt.mjs';

let server;
let creds;
before(async () => {
  server = await startServer();
  creds = server.creds;
});
after(async () => { await server?.remove(); });

const form = (fields) => new URLSearchParams(fields).toString();

function tokenRequest(fields, host = '127.0.0.1') {
  return rawRequest({
    port: server.port, host, method: 'POST', path: `/${creds.tenantId}/oauth2/v2.0/token`,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: form(fields),
  });
}

/** A data-plane call on the dev vault with `Authorization: Bearer <token>`. */
function devCall(token, path = withApi('/secrets')) {
  return rawRequest({
    port: server.port, host: 'dev.vault.localhost', path,
    headers: { authorization: `Bearer ${token}` },
  });
}

function assertUnauthorized(res, what) {
  assert.equal(res.status, 401, `${what}: expected 401, got ${res.status} ${res.body.slice(0, 300)}`);
  assert.match(String(res.headers['www-authenticate'] ?? ''), /^Bearer /, `${what}: WWW-Authenticate missing`);
}

describe('token endpoint', () => {
  test('ClientSecretCredential gets a data-plane token with the documented claims', async () => {
    const before = Date.now();
    const t = await credentialFor(creds).getToken(VAULT_SCOPE);
    assert.ok(t.expiresOnTimestamp >= before + 3000 * 1000 - 60_000, 'expires_in must be >= 3000 s');
    const { header, payload } = decodeJwt(t.token);
    assert.ok(['ES256', 'RS256'].includes(header.alg), `alg ${header.alg}`);
    assert.equal(typeof header.kid, 'string');
    assert.equal(payload.aud, VAULT_RESOURCE);
    assert.ok(String(payload.iss).includes(creds.tenantId), `iss ${payload.iss} names the tenant`);
    assert.equal(typeof payload.exp, 'number');
    assert.equal(typeof payload.nbf, 'number');
    assert.ok(payload.sub || payload.oid, 'sub or oid');
  });

  test('management scope gives a management-audience token', async () => {
    const t = await credentialFor(creds).getToken(MGMT_SCOPE);
    assert.equal(decodeJwt(t.token).payload.aud, MGMT_RESOURCE);
  });

  test('raw client-credentials grant answers the OAuth shape', async () => {
    const res = await tokenRequest({
      grant_type: 'client_credentials', client_id: creds.clientId, client_secret: creds.clientSecret,
      scope: VAULT_SCOPE, unknown_field: 'ignored',
    });
    assert.equal(res.status, 200, res.body);
    assert.equal(res.json.token_type, 'Bearer');
    assert.ok(Number(res.json.expires_in) >= 3000, `expires_in ${res.json.expires_in}`);
    assert.equal(typeof res.json.access_token, 'string');
  });

  test('wrong client secret → 401 invalid_client (OAuth error format)', async () => {
    const res = await tokenRequest({
      grant_type: 'client_credentials', client_id: creds.clientId, client_secret: `${creds.clientSecret}x`,
      scope: VAULT_SCOPE,
    });
    assert.equal(res.status, 401, res.body);
    assert.equal(res.json?.error, 'invalid_client', res.body);
    assert.equal(typeof res.json.error_description, 'string');
    await assert.rejects(credentialFor(creds, 'not-the-secret').getToken(VAULT_SCOPE));
  });

  test('unknown client and unsupported grant → 400/401 in OAuth format', async () => {
    for (const fields of [
      { grant_type: 'client_credentials', client_id: crypto.randomUUID(), client_secret: 'x', scope: VAULT_SCOPE },
      { grant_type: 'password', client_id: creds.clientId, client_secret: creds.clientSecret, scope: VAULT_SCOPE },
      {},
    ]) {
      const res = await tokenRequest(fields);
      assert.ok([400, 401].includes(res.status), `grant ${fields.grant_type}: ${res.status} ${res.body.slice(0, 200)}`);
      assert.equal(typeof res.json?.error, 'string', `OAuth error expected: ${res.body}`);
    }
  });
});

describe('discovery and JWKS', () => {
  let discovery;
  test('openid-configuration names issuer, endpoints and JWKS for the asking origin', async () => {
    for (const host of ['127.0.0.1', 'localhost']) {
      const res = await rawRequest({
        port: server.port, host, path: `/${creds.tenantId}/v2.0/.well-known/openid-configuration`,
      });
      assert.equal(res.status, 200, res.body);
      const origin = `https://${host}:${server.port}`;
      assert.equal(res.json.issuer, `${origin}/${creds.tenantId}/v2.0`);
      for (const f of ['token_endpoint', 'jwks_uri', 'authorization_endpoint']) {
        assert.equal(typeof res.json[f], 'string', `${f} missing`);
        assert.ok(res.json[f].startsWith('https://'), `${f}: ${res.json[f]}`);
      }
      if (host === '127.0.0.1') discovery = res.json;
    }
  });

  test('JWKS holds the signing key of issued tokens, public parts only', async () => {
    assert.ok(discovery, 'discovery test must run first');
    const url = new URL(discovery.jwks_uri);
    const res = await rawRequest({ port: server.port, path: url.pathname + url.search });
    assert.equal(res.status, 200, res.body);
    assert.ok(Array.isArray(res.json.keys) && res.json.keys.length > 0);
    for (const k of res.json.keys) {
      for (const priv of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k']) assert.equal(k[priv], undefined, `private part ${priv}`);
    }
    const token = await dataToken(server);
    const { header } = decodeJwt(token);
    const jwk = res.json.keys.find((k) => k.kid === header.kid);
    assert.ok(jwk, `kid ${header.kid} not in JWKS`);
    assert.ok(verifyWithJwk(token, jwk), 'token signature verifies with the JWKS key');
  });
});

describe('the challenge', () => {
  test('unauthenticated PUT with Content-Length 0 → 401 + exact WWW-Authenticate, nothing created', async () => {
    for (const host of ['dev.vault.localhost', '127.0.0.1']) {
      const res = await rawRequest({
        port: server.port, host, method: 'PUT', path: '/secrets/challengeprobe?api-version=7.6',
        headers: { 'content-type': 'application/json', 'content-length': '0' },
      });
      assert.equal(res.status, 401, res.body);
      assert.equal(res.headers['www-authenticate'],
        `Bearer authorization="https://${host}:${server.port}/${creds.tenantId}", resource="${VAULT_RESOURCE}"`);
    }
    const check = await devCall(await dataToken(server), withApi('/secrets/challengeprobe'));
    assert.equal(check.status, 404, `an unauthenticated request must not write: ${check.body}`);
  });

  test('unauthenticated management request → 401 naming the management resource', async () => {
    const res = await rawRequest({
      port: server.port,
      path: `/subscriptions/${creds.subscriptions[0]}/providers/Microsoft.KeyVault/vaults?${ARM_API}`,
    });
    assert.equal(res.status, 401, res.body);
    assert.match(String(res.headers['www-authenticate']), new RegExp(`resource="${MGMT_RESOURCE}"`));
  });

  test('SDK on localhost / 127.0.0.1 reaches the dev vault with disableChallengeResourceVerification', async () => {
    for (const host of ['localhost', '127.0.0.1']) {
      const client = new SecretClient(`https://${host}:${server.port}`, credentialFor(creds),
        { disableChallengeResourceVerification: true });
      const s = await client.setSecret(`viahost${host.replace(/\./g, '')}`, 'v');
      assert.equal(new URL(s.properties.id).host, `${host}:${server.port}`, 'ids use the request host');
    }
  });
});

describe('token validation', () => {
  let good;
  let header;
  let payload;
  let parts;
  let jwks;

  before(async () => {
    good = await dataToken(server);
    ({ header, payload, parts } = decodeJwt(good));
    const disc = await rawRequest({ port: server.port, path: `/${creds.tenantId}/v2.0/.well-known/openid-configuration` });
    const u = new URL(disc.json.jwks_uri);
    jwks = (await rawRequest({ port: server.port, path: u.pathname + u.search })).json;
  });

  test('the genuine token works (control)', async () => {
    const res = await devCall(good);
    assert.equal(res.status, 200, res.body);
  });

  test('no token, empty token, wrong scheme → 401', async () => {
    for (const authorization of [undefined, 'Bearer', 'Bearer ', `Basic ${good}`, good]) {
      const res = await rawRequest({
        port: server.port, host: 'dev.vault.localhost', path: withApi('/secrets'),
        headers: authorization === undefined ? {} : { authorization },
      });
      assertUnauthorized(res, `Authorization: ${String(authorization).slice(0, 20)}`);
    }
  });

  test('malformed tokens → 401', async () => {
    const cases = {
      garbage: 'garbage',
      'a.b.c': 'a.b.c',
      'two parts': `${parts[0]}.${parts[1]}`,
      'four parts': `${good}.x`,
      'empty signature': `${parts[0]}.${parts[1]}.`,
      'not base64url payload': `${parts[0]}.${parts[1].slice(0, 10)}+/=${parts[1].slice(10)}.${parts[2]}`,
      'header not JSON': `${b64url('{"alg":')}.${parts[1]}.${parts[2]}`,
    };
    for (const [what, token] of Object.entries(cases)) assertUnauthorized(await devCall(token), what);
  });

  test('flipped signature byte → 401', async () => {
    const sig = Buffer.from(parts[2], 'base64url');
    for (const i of [0, Math.floor(sig.length / 2), sig.length - 1]) {
      const flipped = Buffer.from(sig);
      flipped[i] ^= 0x01;
      assertUnauthorized(await devCall(`${parts[0]}.${parts[1]}.${b64url(flipped)}`), `flip at ${i}`);
    }
  });

  test('altered payload with the original signature → 401', async () => {
    const variants = {
      'later exp': { ...payload, exp: payload.exp + 3600 },
      'other aud': { ...payload, aud: 'https://other.localhost' },
      'management aud': { ...payload, aud: MGMT_RESOURCE },
      'other sub': { ...payload, sub: crypto.randomUUID(), oid: crypto.randomUUID() },
      'other iss': { ...payload, iss: `https://evil.example.com/${creds.tenantId}/v2.0` },
    };
    for (const [what, p] of Object.entries(variants)) {
      assertUnauthorized(await devCall(`${parts[0]}.${encodeJson(p)}.${parts[2]}`), what);
    }
  });

  test('alg none in any spelling → 401', async () => {
    for (const alg of ['none', 'NONE', 'None', 'nOnE']) {
      for (const sig of ['', parts[2]]) {
        assertUnauthorized(await devCall(assemble({ ...header, alg }, payload, sig)), `alg ${alg}`);
      }
    }
  });

  test('HMAC signed with the public key bytes → 401', async () => {
    const jwk = jwks.keys.find((k) => k.kid === header.kid);
    const pub = crypto.createPublicKey({ key: jwk, format: 'jwk' });
    const secrets = [
      pub.export({ type: 'spki', format: 'pem' }),
      pub.export({ type: 'spki', format: 'der' }),
      JSON.stringify(jwk),
    ];
    for (const alg of ['HS256']) {
      for (const secret of secrets) {
        assertUnauthorized(await devCall(signHs256({ ...header, alg }, payload, secret)), `${alg} with public key`);
      }
    }
  });

  test('tokens signed by another key (embedded jwk / jku / x5u, same kid) → 401', async () => {
    const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const attackerJwk = { ...publicKey.export({ format: 'jwk' }), kid: header.kid, use: 'sig', alg: 'ES256' };
    const headers = [
      { alg: 'ES256', typ: 'JWT', kid: header.kid },
      { alg: 'ES256', typ: 'JWT', kid: header.kid, jwk: attackerJwk },
      { alg: 'ES256', typ: 'JWT', kid: header.kid, jku: 'https://127.0.0.1:1/keys' },
      { alg: 'ES256', typ: 'JWT', kid: header.kid, x5u: 'https://127.0.0.1:1/cert' },
      { alg: 'ES256', typ: 'JWT', kid: 'attacker', jwk: { ...attackerJwk, kid: 'attacker' } },
    ];
    for (const h of headers) {
      assertUnauthorized(await devCall(signEs256(h, payload, privateKey)), `header ${JSON.stringify(Object.keys(h))}`);
    }
  });

  test('unknown crit header → 401', async () => {
    assertUnauthorized(await devCall(assemble({ ...header, crit: ['x-unknown'], 'x-unknown': 1 }, payload, parts[2])), 'crit');
  });

  test('expired-looking token → 401', async () => {
    // Without the signing key a genuinely expired token cannot be made; this one is both expired
    // and unsigned, so it must be refused whichever check runs first.
    const p = { ...payload, nbf: payload.nbf - 7200, exp: Math.floor(Date.now() / 1000) - 3600 };
    assertUnauthorized(await devCall(`${parts[0]}.${encodeJson(p)}.${parts[2]}`), 'expired');
  });

  test('management-audience token on the data plane → 401, and the reverse', async () => {
    assertUnauthorized(await devCall(await mgmtToken(server)), 'management token on data plane');
    const res = await rawRequest({
      port: server.port, token: good,
      path: `/subscriptions/${creds.subscriptions[0]}/providers/Microsoft.KeyVault/vaults?${ARM_API}`,
    });
    assert.equal(res.status, 401, `data-plane token on management plane: ${res.status} ${res.body}`);
  });

  test('token over 8 KB → 401', async () => {
    const big = `${parts[0]}.${encodeJson({ ...payload, pad: 'x'.repeat(9000) })}.${parts[2]}`;
    assert.ok(big.length > 8192);
    assertUnauthorized(await devCall(big), 'oversized token');
  });
});
