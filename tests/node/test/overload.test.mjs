// Request-body budget with the official SDK (CONTRACT.md "Overload and abuse"): on a server with
// `[server] body_budget_mb = 1`, a restore whose 1 MiB body arrives only in part holds all that
// large bodies may (15/16 of the budget; the rest is kept for small ones such as token
// requests); a 20 kB secret write does not fit, waits 2 s, then gets 503 with `Retry-After: 1`
// and a message naming the budget, and the unmodified SecretClient, whose token request still
// gets through, retries after it and succeeds once the budget is free.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import { freshDataDir, startServer } from '../support/server.mjs';
import { rawRequest, API } from '../support/http.mjs';
import { dataToken, secretClient } from '../support/azure.mjs';

let server;
const LARGE_VALUE = 'x'.repeat(20_000);  // above 1/64 of the budget: not a small body

before(async () => {
  const config = path.join(freshDataDir('config'), 'coffer.toml');
  fs.writeFileSync(config, '[server]\nbody_budget_mb = 1\n');
  server = await startServer({ args: ['--config', config] });
});
after(async () => { await server?.remove(); });

/**
 * Starts POST /secrets/restore with a 1 MiB Content-Length (the whole budget) and sends only its
 * first bytes. `Expect: 100-continue` makes it deterministic: the server answers 100 only once
 * the body's budget is reserved. Returns the socket; destroying it gives the budget back.
 */
async function holdTheBudget() {
  const token = await dataToken(server);
  const host = `dev.vault.localhost:${server.port}`;
  const socket = tls.connect({ host: '127.0.0.1', port: server.port, servername: 'dev.vault.localhost' });
  socket.on('error', () => {});  // destroyed on purpose at the end
  await once(socket, 'secureConnect');
  socket.write(`POST /secrets/restore?${API} HTTP/1.1\r\nHost: ${host}\r\n` +
    `Authorization: Bearer ${token}\r\nContent-Type: application/json\r\n` +
    'Content-Length: 1048576\r\nExpect: 100-continue\r\n\r\n');
  let seen = '';
  while (!seen.includes('\r\n\r\n')) {
    const [chunk] = await once(socket, 'data');
    seen += chunk.toString('latin1');
  }
  assert.match(seen, /^HTTP\/1\.1 100 /, seen);
  socket.write('{"value":"');
  return socket;
}

test('a body that does not fit waits, then gets 503 with Retry-After naming the budget', async () => {
  const hog = await holdTheBudget();
  try {
    const token = await dataToken(server);
    const started = Date.now();
    const refused = await rawRequest({
      port: server.port, host: 'dev.vault.localhost', method: 'PUT', path: `/secrets/probe?${API}`,
      token, body: { value: LARGE_VALUE },
    });
    const waited = Date.now() - started;
    assert.equal(refused.status, 503, refused.body);
    assert.equal(refused.headers['retry-after'], '1');
    assert.equal(refused.json?.error?.code, 'ServiceUnavailable', refused.body);
    assert.match(refused.json?.error?.message ?? '', /\[server\] body_budget_mb/, refused.body);
    assert.ok(waited >= 1900, `answered after ${waited} ms; the wait is 2 s`);
  } finally {
    hog.destroy();
  }
});

test('the SDK retries a 503 after Retry-After and succeeds once the budget is free', async () => {
  const hog = await holdTheBudget();
  let refusedAt = 0;
  // Records the SDK's first answer; a 503 releases the budget, so the retry fits.
  const watch = {
    name: 'watch-for-503',
    async sendRequest(request, next) {
      const response = await next(request);
      if (response.status === 503 && refusedAt === 0) {
        refusedAt = Date.now();
        hog.destroy();
      }
      return response;
    },
  };
  const client = secretClient(server, 'dev', {
    additionalPolicies: [{ policy: watch, position: 'perRetry' }],
  });
  try {
    const secret = await client.setSecret('after-503', LARGE_VALUE);
    assert.equal(secret.value, LARGE_VALUE);
    assert.ok(refusedAt > 0, 'the SDK met a 503 first');
    const retriedAfter = Date.now() - refusedAt;
    assert.ok(retriedAfter >= 900, `the SDK retried ${retriedAfter} ms after the 503 (Retry-After: 1)`);
  } finally {
    hog.destroy();
  }
  assert.equal((await client.getSecret('after-503')).value, LARGE_VALUE);
});
