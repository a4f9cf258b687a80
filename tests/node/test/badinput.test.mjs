// Bad input on the data plane, raw: every refusal is a 4xx with the Key Vault error envelope,
// never a 500 (DESIGN.md §2 "Limits and bad input", "Hosts and URLs").
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../support/server.mjs';
import { rawRequest, rawTls, assertErrorEnvelope } from '../support/http.mjs';
import { dataToken } from '../support/azure.mjs';

let server;
let token;
const HOST = 'dev.vault.localhost';

before(async () => {
  server = await startServer();
  token = await dataToken(server);
});
after(async () => { await server?.remove(); });

function call(opts) {
  return rawRequest({ port: server.port, host: HOST, token, ...opts });
}

describe('request bodies', () => {
  test('malformed or mistyped JSON on PUT /secrets/x → 400 with envelope', async () => {
    const bodies = {
      'malformed JSON': '{"value": "x"',
      'not JSON': 'value=x',
      null: 'null',
      array: '[]',
      number: '12',
      string: '"x"',
      'value null': '{"value": null}',
      'value number': '{"value": 5}',
      'no value': '{}',
      'tags not strings': '{"value": "x", "tags": {"a": 1}}',
      'tags an array': '{"value": "x", "tags": ["a"]}',
      'enabled a string': '{"value": "x", "attributes": {"enabled": "yes"}}',
      'exp a string': '{"value": "x", "attributes": {"exp": "tomorrow"}}',
      'contentType a number': '{"value": "x", "contentType": 7}',
      'invalid UTF-8': Buffer.from([0x7b, 0x22, 0x76, 0x61, 0x6c, 0x75, 0x65, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]),
    };
    for (const [what, body] of Object.entries(bodies)) {
      const res = await call({ method: 'PUT', path: '/secrets/x?api-version=7.6', body });
      assert.notEqual(res.status, 500, `${what}: 500`);
      assertErrorEnvelope(res, 400);
    }
    const none = await call({ method: 'GET', path: '/secrets/x?api-version=7.6' });
    assert.equal(none.status, 404, 'no refused body created the secret');
  });

  test('empty body on PUT /secrets/x with a valid token → 400 (the SDK challenge race)', async () => {
    const res = await call({ method: 'PUT', path: '/secrets/x?api-version=7.6', headers: { 'content-type': 'application/json' } });
    assertErrorEnvelope(res, 400);
  });

  test('unknown fields are ignored', async () => {
    const res = await call({
      method: 'PUT', path: '/secrets/ok?api-version=7.6',
      body: { value: 'v', attributes: {}, somethingNew: { nested: true } },
    });
    assert.equal(res.status, 200, res.body);
  });

  test('a 30 MB body → 413 without reading it all', async () => {
    const body = Buffer.alloc(30 * 1024 * 1024, 0x61);
    const res = await call({ method: 'PUT', path: '/secrets/huge?api-version=7.6', body, timeoutMs: 60_000 });
    assert.equal(res.status, 413, res.body.slice(0, 300));
    // The server is still healthy afterwards.
    assert.equal((await call({ path: '/secrets/ok?api-version=7.6' })).status, 200);
  });
});

describe('api-version', () => {
  test('missing or unknown → 400 BadParameter', async () => {
    for (const q of ['', '?api-version=1.0', '?api-version=7.7', '?api-version=2025-07-02', '?api-version=', '?api-version=latest']) {
      assertErrorEnvelope(await call({ path: `/secrets${q}` }), 400, 'BadParameter');
    }
  });

  test('accepted versions, including the percent-encoded parameter name', async () => {
    const versions = ['7.0', '7.1', '7.2', '7.3', '7.4', '7.5', '7.6', '7.6-preview', '7.0-preview', '2025-07-01', '2026-04-01'];
    for (const v of versions) {
      const res = await call({ path: `/secrets?api-version=${v}` });
      assert.equal(res.status, 200, `api-version ${v}: ${res.status} ${res.body.slice(0, 200)}`);
    }
    const encoded = await call({ path: '/secrets?api%2Dversion=7.6' });
    assert.equal(encoded.status, 200, encoded.body);
    const lower = await call({ path: '/secrets?api%2dversion=2025-07-01' });
    assert.equal(lower.status, 200, lower.body);
  });
});

describe('names and paths', () => {
  test('invalid secret names → 400', async () => {
    for (const name of ['a_b', 'a.b', 'a%20b', '%C3%A9', 'a'.repeat(128)]) {
      const res = await call({ method: 'PUT', path: `/secrets/${name}?api-version=7.6`, body: { value: 'x' } });
      assertErrorEnvelope(res, 400);
    }
    const max = await call({ method: 'PUT', path: `/secrets/${'a'.repeat(127)}?api-version=7.6`, body: { value: 'x' } });
    assert.equal(max.status, 200, '127 chars is the maximum');
  });

  test('trailing slash = latest', async () => {
    await call({ method: 'PUT', path: '/secrets/slash?api-version=7.6', body: { value: 'sv' } });
    for (const p of ['/secrets/slash/?api-version=7.6', '/secrets/slash?api-version=7.6']) {
      const res = await call({ path: p });
      assert.equal(res.status, 200, `${p}: ${res.body}`);
      assert.equal(res.json.value, 'sv');
    }
  });

  test('unknown paths and methods → 404/405/400 with envelope, never 500', async () => {
    for (const [method, path] of [
      ['GET', '/nothing?api-version=7.6'],
      ['GET', '/secrets/a/b/c/d?api-version=7.6'],
      ['POST', '/secrets/x/unknownverb?api-version=7.6'],
      ['DELETE', '/secrets?api-version=7.6'],
      ['GET', '/?api-version=7.6'],
      ['GET', '/%?api-version=7.6'],
    ]) {
      const res = await call({ method, path });
      assert.notEqual(res.status, 500);
      assertErrorEnvelope(res, [400, 404, 405]);
    }
  });
});

describe('hosts and raw protocol abuse', () => {
  test('a Host that is none of the server\'s forms → 400', async () => {
    for (const hostHeader of ['evil.example.com', `evil.example.com:${server.port}`, 'dev.vault.azure.net']) {
      const res = await rawRequest({ port: server.port, hostHeader, token, path: '/secrets?api-version=7.6' });
      assert.equal(res.status, 400, `Host "${hostHeader}": ${res.status} ${res.body.slice(0, 200)}`);
    }
    // node:https replaces an empty Host with its own, so the empty and missing cases go raw.
    for (const hostLine of ['Host: \r\n', '']) {
      const r = await rawTls({
        port: server.port,
        data: `GET /secrets?api-version=7.6 HTTP/1.1\r\n${hostLine}Authorization: Bearer ${token}\r\nConnection: close\r\n\r\n`,
      });
      assert.equal(r.status, 400, `Host line ${JSON.stringify(hostLine)}: ${r.text.slice(0, 200)}`);
    }
  });

  test('malformed HTTP → a 4xx or a closed connection, never 500, and the server keeps serving', async () => {
    const cases = [
      'GARBAGE\r\n\r\n',
      'GET /secrets HTTP/9.9\r\nHost: localhost\r\n\r\n',
      `GET /secrets?api-version=7.6 HTTP/1.1\r\nHost: localhost\r\nContent-Length: abc\r\nConnection: close\r\n\r\n`,
      `PUT /secrets/x?api-version=7.6 HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n0\r\n\r\n`,
      `GET /secrets?api-version=7.6 HTTP/1.1\r\nHost: localhost\r\nX-Long: ${'a'.repeat(200_000)}\r\nConnection: close\r\n\r\n`,
      `GET /secrets?api-version=7.6 HTTP/1.1\r\nHost: localhost\r\nBad Header\r\n\r\n`,
      '\x00\x01\x02\x03\r\n\r\n',
    ];
    for (const data of cases) {
      const r = await rawTls({ port: server.port, data });
      const what = JSON.stringify(data.slice(0, 60));
      if (r.status !== null) assert.ok(r.status >= 400 && r.status < 500, `${what}: ${r.text.slice(0, 200)}`);
      else assert.ok(r.closed || r.text === '', `${what}: no status line but data: ${r.text.slice(0, 200)}`);
    }
    const health = await call({ path: '/secrets?api-version=7.6' });
    assert.equal(health.status, 200);
  });
});
