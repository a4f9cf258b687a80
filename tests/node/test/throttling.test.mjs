// Service limits with the official SDK (CONTRACT.md "Throttling"): a server started with a low
// `[limits] secret_create` answers Azure's 429 with a Retry-After that is the real wait, the
// unmodified SecretClient retries after it and succeeds, /metrics counts the throttled request,
// and the vault resource shows the limits in force.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { limitsConfig, startServer } from '../support/server.mjs';
import { rawRequest, API } from '../support/http.mjs';
import { secretClient, dataToken, mgmtRequest, vaultPath, ARM_API } from '../support/azure.mjs';

let server;
let client;

before(async () => {
  server = await startServer({ args: ['--config', limitsConfig({ secret_create: 3 })] });
  client = secretClient(server);
});
after(async () => { await server?.remove(); });

async function throttledCount() {
  const res = await rawRequest({ port: server.port, path: '/metrics' });
  assert.equal(res.status, 200);
  const m = /coffer_throttle_requests_total\{vault="dev",class="secret_create",outcome="throttled"\} (\d+)/
    .exec(res.body);
  return m ? Number(m[1]) : 0;
}

test('over the limit: 429 Throttled with Retry-After, and the SDK retries after it', async () => {
  for (let i = 0; i < 3; i += 1) await client.setSecret(`t${i}`, 'v');
  const token = await dataToken(server);
  const refused = await rawRequest({
    port: server.port, host: 'dev.vault.localhost', method: 'PUT', path: `/secrets/raw?${API}`,
    token, body: { value: 'v' },
  });
  assert.equal(refused.status, 429, refused.body);
  assert.deepEqual(refused.json, {
    error: {
      code: 'Throttled',
      message: 'Request was not processed because too many requests were received. Reason: VaultRequestTypeLimitReached',
    },
  });
  const wait = Number(refused.headers['retry-after']);
  assert.ok(Number.isInteger(wait) && wait >= 1 && wait <= 10, `Retry-After: ${refused.headers['retry-after']}`);
  const before = await throttledCount();
  assert.ok(before >= 1);

  const started = Date.now();
  const s = await client.setSecret('after-retry', 'v');  // first try is refused; the SDK waits
  const waited = Date.now() - started;
  assert.equal(s.value, 'v');
  assert.ok(await throttledCount() > before, 'the SDK met a 429 first');
  assert.ok(waited >= (wait - 1) * 1000, `the SDK retried after ${waited} ms, Retry-After was ${wait} s`);
  // Reads count in vault_other, which the writes did not touch.
  assert.equal((await client.getSecret('t0')).value, 'v');
});

test('the vault resource shows the limits in force', async () => {
  const res = await mgmtRequest(server, {
    path: `${vaultPath(server.creds.subscriptions[0], 'coffer-dev', 'dev')}?${ARM_API}`,
  });
  assert.equal(res.status, 200, res.body);
  const limits = res.json.properties.limits;
  assert.equal(limits.secretCreate, 3);
  assert.equal(limits.vaultOther, 4000);
  assert.equal(limits.keyOther, 4000);
  assert.equal(limits.subscriptionFactor, 5);
  assert.equal(limits.windowSeconds, 10);
});
