// Production mode: start sealed, unseal with `coffer operator unseal` (DESIGN.md §2 "Build and
// start", last item).
//
// The configuration keys and commands used here are documented in docs/operations.md.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { cofferBin, freshDataDir, startServer } from '../support/server.mjs';
import { rawRequest } from '../support/http.mjs';

const run = promisify(execFile);

let dir;
let keyFile;
let caPem;
let server;

/** A self-signed TLS certificate for localhost / 127.0.0.1 made with the openssl CLI. */
async function makeTls(into) {
  const cert = path.join(into, 'server.pem');
  const key = path.join(into, 'server-key.pem');
  await run('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2',
    '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,DNS:*.localhost,DNS:*.vault.localhost,IP:127.0.0.1',
    '-keyout', key, '-out', cert,
  ]);
  return { cert, key };
}

function writeConfig(into, tls) {
  const file = path.join(into, 'coffer.toml');
  fs.writeFileSync(file, [
    '[server]',
    'listen = "127.0.0.1:0"',
    `data_dir = "${path.join(into, 'data')}"`,
    'region = "eastus"',
    '[tls]',
    `cert_file = "${tls.cert}"`,
    `key_file = "${tls.key}"`,
    '[storage]',
    'engine = "sqlite"',
    '',
  ].join('\n'));
  return file;
}

const unauthenticatedPut = (port) => rawRequest({
  port, ca: caPem, method: 'PUT', path: '/secrets/x?api-version=7.6', headers: { 'content-length': '0' },
});

describe('sealed start and unseal', () => {
  before(async () => {
    dir = freshDataDir('prod');
    fs.mkdirSync(path.join(dir, 'data'), { mode: 0o700 });
    const tls = await makeTls(dir);
    caPem = fs.readFileSync(tls.cert, 'utf8');
    const config = writeConfig(dir, tls);
    keyFile = path.join(dir, 'unseal.key'); // outside the data dir, as the contract asks
    // `operator init` creates the keyring and writes the unseal key.
    await run(cofferBin(), ['operator', 'init', '--config', config, '--key-file', keyFile], { timeout: 30_000 });
    server = await startServer({ argv: ['server', '--config', config] });
  });
  after(async () => {
    await server?.stop();
    if (dir && !process.env.COFFER_KEEP_DATA) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('while sealed every route answers 503', async () => {
    for (const p of ['/secrets?api-version=7.6', '/00000000-0000-0000-0000-000000000000/v2.0/.well-known/openid-configuration',
      '/subscriptions/00000000-0000-0000-0000-000000000000/providers/Microsoft.KeyVault/vaults?api-version=2023-07-01']) {
      const res = await rawRequest({ port: server.port, ca: caPem, path: p });
      assert.equal(res.status, 503, `${p}: ${res.status} ${res.body}`);
    }
    assert.equal((await unauthenticatedPut(server.port)).status, 503);
  });

  test('a wrong key file is refused and the server stays sealed', async () => {
    const wrong = path.join(dir, 'wrong.key');
    fs.writeFileSync(wrong, Buffer.alloc(fs.statSync(keyFile).size, 0x41), { mode: 0o600 });
    await assert.rejects(run(cofferBin(), [
      'operator', 'unseal', '--key-file', wrong, '--url', `https://127.0.0.1:${server.port}`, '--ca-file', path.join(dir, 'server.pem'),
    ], { timeout: 30_000 }));
    assert.equal((await unauthenticatedPut(server.port)).status, 503);
  });

  test('coffer operator unseal with the right key opens it', async () => {
    await run(cofferBin(), [
      'operator', 'unseal', '--key-file', keyFile, '--url', `https://127.0.0.1:${server.port}`, '--ca-file', path.join(dir, 'server.pem'),
    ], { timeout: 30_000 });
    const res = await unauthenticatedPut(server.port);
    assert.equal(res.status, 401, `unsealed: the normal challenge, got ${res.status} ${res.body}`);
  });
});
