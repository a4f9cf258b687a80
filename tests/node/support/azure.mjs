// Azure SDK plumbing for tests: credentials, tokens, clients, management-plane calls and the dev
// clock. Everything Coffer-specific that is not in the Azure API (the dev time-shift endpoint)
// lives here, in one place.
import assert from 'node:assert/strict';
import { ClientSecretCredential } from '@azure/identity';
import { SecretClient } from '@azure/keyvault-secrets';
import { KeyVaultManagementClient } from '@azure/arm-keyvault';
import { rawRequest } from './http.mjs';

export const VAULT_SCOPE = 'https://vault.localhost/.default';
export const MGMT_SCOPE = 'https://management.localhost/.default';
export const VAULT_RESOURCE = 'https://vault.localhost';
export const MGMT_RESOURCE = 'https://management.localhost';
export const ARM_API = 'api-version=2026-02-01';

/** ClientSecretCredential bound to the server's dev client (`secret` overrides the secret). */
export function credentialFor(creds, secret = creds.clientSecret) {
  return new ClientSecretCredential(creds.tenantId, creds.clientId, secret, {
    authorityHost: creds.authorityHost,
    disableInstanceDiscovery: true,
  });
}

const tokenCache = new WeakMap();

async function cachedToken(server, scope) {
  let perServer = tokenCache.get(server);
  if (!perServer) tokenCache.set(server, (perServer = { credential: credentialFor(server.creds) }));
  if (!perServer[scope]) {
    const t = await perServer.credential.getToken(scope);
    assert.ok(t && t.token, `no token for ${scope}`);
    perServer[scope] = t.token;
  }
  return perServer[scope];
}

/** A data-plane access token (audience https://vault.localhost) for the dev client. */
export const dataToken = (server) => cachedToken(server, VAULT_SCOPE);
/** A management-plane access token (audience https://management.localhost) for the dev client. */
export const mgmtToken = (server) => cachedToken(server, MGMT_SCOPE);

/** `https://<name>.vault.localhost:<port>` */
export const vaultUrl = (server, name) => `https://${name}.vault.localhost:${server.port}`;

/** A SecretClient on `vault` (default: the dev vault) with a fresh credential. */
export function secretClient(server, vault = 'dev', options = {}) {
  return new SecretClient(vaultUrl(server, vault), credentialFor(server.creds), options);
}

/** `@azure/arm-keyvault` pointed at Coffer's management plane. */
export function armClient(server, subscriptionId = server.creds.subscriptions[0]) {
  return new KeyVaultManagementClient(credentialFor(server.creds), subscriptionId, {
    endpoint: server.creds.managementUrl,
    credentials: { scopes: [MGMT_SCOPE] },
  });
}

/** ARM path of a vault. */
export function vaultPath(sub, rg, name) {
  return `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.KeyVault/vaults/${name}`;
}

/** One management-plane request with a management token (does not throw on non-2xx). */
export async function mgmtRequest(server, { method = 'GET', path, body, headers, token }) {
  return rawRequest({
    port: server.port, method, path, body, headers,
    token: token ?? await mgmtToken(server),
  });
}

/**
 * PUT a vault through the management plane. `properties` are merged over
 * {tenantId, sku {family A, name standard}}. Returns the raw answer (does not assert).
 */
export async function putVault(server, { name, location = 'eastus', sub, rg = 'rg1', properties = {}, apiVersion }) {
  const subscription = sub ?? server.creds.subscriptions[0];
  return mgmtRequest(server, {
    method: 'PUT',
    path: `${vaultPath(subscription, rg, name)}?${apiVersion ? `api-version=${apiVersion}` : ARM_API}`,
    body: {
      location,
      properties: { tenantId: server.creds.tenantId, sku: { family: 'A', name: 'standard' }, ...properties },
    },
  });
}

/** putVault that must succeed (200/201); returns the vault resource. */
export async function createVault(server, opts) {
  const res = await putVault(server, opts);
  assert.ok(res.status === 200 || res.status === 201, `create vault ${opts.name}: ${res.status} ${res.body}`);
  return res.json;
}

/**
 * Moves the server's dev-mode domain clock forward by `seconds` (Coffer-specific, dev only:
 * `POST /_coffer/dev/time-shift` with a management token, body {"seconds": N}, answer
 * {"offsetSeconds": <total shift>}). Returns the total offset.
 */
export async function timeShift(server, seconds) {
  const res = await mgmtRequest(server, {
    method: 'POST', path: '/_coffer/dev/time-shift', body: { seconds },
  });
  assert.equal(res.status, 200, `time-shift: ${res.status} ${res.body}`);
  assert.equal(typeof res.json?.offsetSeconds, 'number', `time-shift answer: ${res.body}`);
  return res.json.offsetSeconds;
}

/** The innererror code of an SDK RestError (TypeSpec clients map `innererror` to `innerError`). */
export function innerCode(err) {
  const e = err?.details?.error;
  return e?.innerError?.code ?? e?.innererror?.code;
}

/** Awaits `promise`, expects it to reject with a RestError of `statusCode`; returns the error. */
export async function expectRestError(promise, statusCode, code) {
  let err;
  try {
    await promise;
  } catch (e) {
    err = e;
  }
  assert.ok(err, `expected HTTP ${statusCode}, but the call succeeded`);
  assert.equal(err.statusCode, statusCode, `expected HTTP ${statusCode}, got ${err.statusCode}: ${err.message}`);
  if (code !== undefined) assert.equal(err.code, code, `error code: ${err.message}`);
  return err;
}

/** Polls `fn` every `intervalMs` until it returns a truthy value or `timeoutMs` pass. */
export async function pollUntil(fn, { timeoutMs = 10_000, intervalMs = 200, what = 'condition' } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`${what} not reached within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Drains an async iterable into an array. */
export async function collect(iterable) {
  const out = [];
  for await (const x of iterable) out.push(x);
  return out;
}

/** Unique-ish lowercase name for a test object. */
let counter = 0;
export function uniqueName(prefix = 'n') {
  counter += 1;
  return `${prefix}${Date.now().toString(36)}${counter}`;
}
