// `coffer secret …` and `coffer key …` against a running dev server, shaped like `az keyvault
// secret` and `az keyvault key` (CONTRACT.md "CLI"): every command, the raw-bytes backup files,
// sign/verify and encrypt/decrypt checked with node:crypto and the official KeyClient, refusals
// (exit 1, `ERROR: <server message>`) and usage errors (exit 2).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer } from '../support/server.mjs';
import { secretClient, uniqueName } from '../support/azure.mjs';
import { keyClient } from '../support/keys.mjs';
import { cliJson, cli, expectRefusal, expectUsageError } from '../support/cli.mjs';

let server;
let tmp;
let d;  // ['--data-dir', <the server's>]

before(async () => {
  server = await startServer();
  d = ['--data-dir', server.dataDir];
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'coffer-cli-sk-'));
});
after(async () => {
  await server?.remove();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

const file = (name) => path.join(tmp, name);
const secret = (...args) => cliJson('secret', ...args, '--vault-name', 'dev', ...d);
const key = (...args) => cliJson('key', ...args, '--vault-name', 'dev', ...d);
const b64url = (buf) => Buffer.from(buf).toString('base64url');
const sha256 = (text) => crypto.createHash('sha256').update(text).digest();

describe('coffer secret', () => {
  test('set, show, list, list-versions and set-attributes', async () => {
    const name = uniqueName('clisec');
    const first = await secret('set', '--name', name, '--value', 'one', '--tags', 'env=test');
    assert.equal(first.value, 'one');
    assert.deepEqual(first.tags, { env: 'test' });
    fs.writeFileSync(file('value.txt'), 'two from a file');
    const second = await secret('set', '-n', name, '--file', file('value.txt'), '--content-type', 'text/plain');
    assert.equal(second.value, 'two from a file');
    assert.equal(second.contentType, 'text/plain');
    assert.equal((await secretClient(server).getSecret(name)).value, 'two from a file');

    assert.equal((await secret('show', '-n', name)).value, 'two from a file');
    const v1 = first.id.split('/').pop();
    assert.equal((await secret('show', '-n', name, '--version', v1)).value, 'one');
    const listed = await secret('list');
    assert.ok(listed.some((s) => s.id.endsWith(`/secrets/${name}`)), 'list prints the value array');
    assert.equal((await secret('list-versions', '-n', name)).length, 2);

    const updated = await secret('set-attributes', '-n', name, '--version', v1, '--enabled', 'false',
      '--content-type', 'application/x-one', '--tags', 'k=v');
    assert.equal(updated.attributes.enabled, false);
    assert.equal(updated.contentType, 'application/x-one');
    assert.deepEqual(updated.tags, { k: 'v' });
    const dated = await secret('set-attributes', '-n', name, '--expires', '2031-01-01T00:00:00Z',
      '--not-before', '2020-01-01');
    assert.equal(dated.attributes.exp, Date.UTC(2031, 0, 1) / 1000);
    assert.equal(dated.attributes.nbf, Date.UTC(2020, 0, 1) / 1000);
    const latest = await secret('set-attributes', '-n', name, '--enabled', 'false');
    assert.equal(latest.id, second.id, 'without --version the latest version changes');
    assert.equal(latest.attributes.enabled, false);
  });

  test('delete, list-deleted, show-deleted, recover, purge, backup and restore', async () => {
    const name = uniqueName('clisec');
    await secret('set', '-n', name, '--value', 'kept');
    const blob = file(`${name}.blob`);
    assert.equal((await cli('secret', 'backup', '-n', name, '--file', blob, '--vault-name', 'dev', ...d)).stdout, '');
    assert.equal(fs.statSync(blob).mode & 0o777, 0o600);
    // The raw blob bytes, as `az keyvault secret backup` writes them: what the SDK restores.
    const sdkBlob = await secretClient(server).backupSecret(name);
    assert.ok(Buffer.from(sdkBlob).length > 0 && fs.readFileSync(blob).length > 0);

    const deleted = await secret('delete', '-n', name);
    assert.equal(deleted.recoveryId.split('/').pop(), name);
    assert.ok((await secret('list-deleted')).some((s) => s.recoveryId.endsWith(`/${name}`)));
    assert.equal((await secret('show-deleted', '-n', name)).id.split('/')[4], name);
    assert.equal((await secret('recover', '-n', name)).id.split('/')[4], name);
    await secret('delete', '-n', name);
    assert.equal((await cli('secret', 'purge', '-n', name, '--vault-name', 'dev', ...d)).stdout, '');
    const restored = await secret('restore', '--file', blob);
    assert.equal(restored.id.split('/')[4], name);
    assert.equal((await secret('show', '-n', name)).value, 'kept');
  });

  test('refusals exit 1 with the server message; usage errors exit 2', async () => {
    await expectRefusal(['secret', 'show', '-n', 'never-set', '--vault-name', 'dev', ...d], /not found/);
    await expectRefusal(['secret', 'show', '-n', 'x', '--vault-name', 'novault', ...d], /novault|vault/i);
    fs.writeFileSync(file('junk.blob'), 'not a backup');
    await expectRefusal(['secret', 'restore', '--file', file('junk.blob'), '--vault-name', 'dev', ...d],
      /Backup blob contains invalid or corrupt version|invalid|corrupt/i);
    await expectRefusal(['secret', 'restore', '--file', file('missing.blob'), '--vault-name', 'dev', ...d]);
    await expectUsageError(['secret', 'set', '-n', 'x', '--vault-name', 'dev', ...d], /--value/);
    await expectUsageError(['secret', 'set', '-n', 'x', '--value', 'a', '--file', 'f', '--vault-name', 'dev', ...d]);
    await expectUsageError(['secret', 'set-attributes', '-n', 'x', '--enabled', 'yes', '--vault-name', 'dev', ...d]);
    await expectUsageError(['secret', 'show', '--vault-name', 'dev', ...d], /--name/);
    await expectUsageError(['secret', 'frobnicate', ...d]);
    await expectUsageError(['secret', 'set', '-n', 'x', '--value', 'a', '--expires', 'soon', '--vault-name', 'dev', ...d],
      /--expires/);
    await expectUsageError(['secret', 'set', '-n', 'x', '--value', 'a', '--tags', '=v', '--vault-name', 'dev', ...d]);
  });
});

describe('coffer key', () => {
  test('create, show, list, list-versions, rotate and rotation-policy', async () => {
    const name = uniqueName('clikey');
    const rsa = await key('create', '-n', name, '--kty', 'RSA', '--size', '3072', '--ops', 'sign', 'verify',
      '--tags', 'team=a');
    assert.equal(rsa.key.kty, 'RSA');
    assert.equal(Buffer.from(rsa.key.n, 'base64url').length, 384);
    assert.deepEqual(rsa.key.key_ops, ['sign', 'verify']);
    assert.deepEqual(rsa.tags, { team: 'a' });
    const ec = await key('create', '-n', `${name}-ec`, '--kty', 'EC', '--curve', 'P-384', '--disabled',
      '--expires', '2030-06-01T12:00:00Z');
    assert.equal(ec.attributes.exp, Date.UTC(2030, 5, 1, 12) / 1000);
    assert.equal(ec.key.crv, 'P-384');
    assert.equal(ec.attributes.enabled, false);

    assert.equal((await key('show', '-n', name)).key.kid, rsa.key.kid);
    assert.ok((await key('list')).some((k) => k.kid.endsWith(`/keys/${name}`)));
    const rotated = await key('rotate', '-n', name);
    assert.notEqual(rotated.key.kid, rsa.key.kid);
    assert.equal((await key('list-versions', '-n', name)).length, 2);
    assert.equal((await key('show', '-n', name, '--version', rsa.key.kid.split('/').pop())).key.n, rsa.key.n);

    // az's file shape, nulls included.
    fs.writeFileSync(file('rotation.json'), JSON.stringify({
      lifetimeActions: [{ trigger: { timeAfterCreate: 'P18M', timeBeforeExpiry: null }, action: { type: 'Rotate' } }],
      attributes: { expiryTime: 'P2Y' },
    }));
    const policy = await cliJson('key', 'rotation-policy', 'update', '-n', name, '--value', `@${file('rotation.json')}`,
      '--vault-name', 'dev', ...d);
    assert.equal(policy.attributes.expiryTime, 'P2Y');
    const shown = await cliJson('key', 'rotation-policy', 'show', '-n', name, '--vault-name', 'dev', ...d);
    assert.ok(shown.lifetimeActions.some((a) => a.action.type === 'Rotate' && a.trigger.timeAfterCreate === 'P18M'));
    const sdkPolicy = await keyClient(server).getKeyRotationPolicy(name);
    assert.equal(sdkPolicy.expiresIn, 'P2Y');
  });

  test('sign and verify, encrypt and decrypt', async () => {
    const name = uniqueName('clikey');
    const created = await key('create', '-n', name);
    const digest = b64url(sha256('hello'));
    const signed = await key('sign', '-n', name, '--algorithm', 'RS256', '--digest', digest);
    assert.deepEqual(Object.keys(signed).sort(), ['kid', 'signature']);
    assert.equal(signed.kid, created.key.kid);
    const publicKey = crypto.createPublicKey({ key: { kty: 'RSA', n: created.key.n, e: created.key.e }, format: 'jwk' });
    assert.ok(crypto.verify('sha256', Buffer.from('hello'), publicKey, Buffer.from(signed.signature, 'base64url')));
    assert.deepEqual(await key('verify', '-n', name, '--algorithm', 'RS256', '--digest', digest,
      '--signature', signed.signature), { isValid: true });
    // Standard base64 is accepted too; a signature of other bytes does not verify.
    assert.deepEqual(await key('verify', '-n', name, '--algorithm', 'RS256',
      '--digest', sha256('other').toString('base64'), '--signature', signed.signature), { isValid: false });

    const encrypted = await key('encrypt', '-n', name, '--algorithm', 'RSA-OAEP-256',
      '--value', Buffer.from('top secret').toString('base64'));
    assert.equal(encrypted.kid, created.key.kid);
    assert.equal(encrypted.algorithm, 'RSA-OAEP-256');
    const plain = await key('decrypt', '-n', name, '--algorithm', 'RSA-OAEP-256', '--value', encrypted.result);
    assert.equal(Buffer.from(plain.result, 'base64url').toString(), 'top secret');
    const text = await key('decrypt', '-n', name, '--algorithm', 'RSA-OAEP-256', '--value', encrypted.result,
      '--data-type', 'plaintext');
    assert.equal(text.result, 'top secret');
    const fromText = await key('encrypt', '-n', name, '--algorithm', 'RSA-OAEP', '--value', 'as text',
      '--data-type', 'plaintext', '--version', created.key.kid.split('/').pop());
    assert.equal((await key('decrypt', '-n', name, '--algorithm', 'RSA-OAEP', '--value', fromText.result,
      '--data-type', 'plaintext')).result, 'as text');
  });

  test('import from PEM files, backup, delete, recover, purge and restore', async () => {
    const name = uniqueName('clikey');
    const { privateKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
    fs.writeFileSync(file('ec.pem'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const imported = await key('import', '-n', name, '--pem-file', file('ec.pem'), '--ops', 'sign', 'verify');
    assert.equal(imported.key.crv, 'P-256');
    assert.equal(imported.key.x, privateKey.export({ format: 'jwk' }).x);
    const rsa = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    fs.writeFileSync(file('rsa.pem'), rsa.export({
      type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'pw',
    }));
    const rsaImported = await key('import', '-n', `${name}-rsa`, '--pem-file', file('rsa.pem'), '--pem-password', 'pw');
    assert.equal(rsaImported.key.n, rsa.export({ format: 'jwk' }).n);
    await expectRefusal(['key', 'import', '-n', `${name}-x`, '--pem-file', file('rsa.pem'), '--vault-name', 'dev', ...d],
      /password/);

    const blob = file(`${name}.blob`);
    assert.equal((await cli('key', 'backup', '-n', name, '--file', blob, '--vault-name', 'dev', ...d)).stdout, '');
    assert.equal(fs.statSync(blob).mode & 0o777, 0o600);
    await key('delete', '-n', name);
    assert.ok((await key('list-deleted')).some((k) => k.recoveryId.endsWith(`/${name}`)));
    assert.equal((await key('show-deleted', '-n', name)).key.x, imported.key.x);
    assert.equal((await key('recover', '-n', name)).key.x, imported.key.x);
    await key('delete', '-n', name);
    assert.equal((await cli('key', 'purge', '-n', name, '--vault-name', 'dev', ...d)).stdout, '');
    const restored = await key('restore', '--file', blob);
    assert.equal(restored.key.x, imported.key.x);
    assert.equal((await keyClient(server).getKey(name)).key.x.length, 32);
  });

  test('refusals exit 1 with the server message; usage errors exit 2', async () => {
    const name = uniqueName('clikey');
    await key('create', '-n', name, '--kty', 'EC');
    await expectRefusal(['key', 'sign', '-n', name, '--algorithm', 'RS256', '--digest', b64url(sha256('x')),
      '--vault-name', 'dev', ...d]);
    await expectRefusal(['key', 'show', '-n', 'never-made', '--vault-name', 'dev', ...d], /not found/i);
    await expectRefusal(['key', 'create', '-n', name, '--kty', 'RSA', '--size', '1000', '--vault-name', 'dev', ...d]);
    await expectUsageError(['key', 'create', '-n', name, '--kty', 'DSA', '--vault-name', 'dev', ...d]);
    await expectUsageError(['key', 'sign', '-n', name, '--digest', 'AAAA', '--vault-name', 'dev', ...d], /--algorithm/);
    await expectUsageError(['key', 'sign', '-n', name, '--algorithm', 'ES256', '--digest', 'not base64!',
      '--vault-name', 'dev', ...d], /--digest/);
    await expectUsageError(['key', 'rotation-policy', 'update', '-n', name, '--value', '[1]', '--vault-name', 'dev', ...d],
      /--value/);
    await expectUsageError(['key', 'rotation-policy', ...d]);
  });
});
