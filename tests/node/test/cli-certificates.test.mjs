// `coffer certificate …` against a running dev server, shaped like `az keyvault certificate`
// (CONTRACT.md "CLI", "Certificates"): create (waiting for Self, the pending operation for
// Unknown), import, show, lists, download (PEM, DER), pending show|merge|delete, delete, recover,
// purge, backup, restore, contacts and issuers; each with its refusal (exit 1, `ERROR: <server
// message>`) and usage errors (exit 2). Certificates are checked with node:crypto and the
// official CertificateClient.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { CertificateClient } from '@azure/keyvault-certificates';
import { startServer } from '../support/server.mjs';
import {
  credentialFor, secretClient, uniqueName, vaultUrl,
} from '../support/azure.mjs';
import { keyClient } from '../support/keys.mjs';
import {
  cli, cliJson, expectRefusal, expectUsageError,
} from '../support/cli.mjs';

let server;
let tmp;
let d;  // ['--data-dir', <the server's>]
let sdk;

before(async () => {
  server = await startServer();
  d = ['--data-dir', server.dataDir];
  sdk = new CertificateClient(vaultUrl(server, 'dev'), credentialFor(server.creds));
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'coffer-cli-cert-'));
});
after(async () => {
  await server?.remove();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

const file = (name) => path.join(tmp, name);
const openssl = (...args) => execFileSync('openssl', args, { cwd: tmp, stdio: ['pipe', 'pipe', 'pipe'] });
const cert = (...args) => cliJson('certificate', ...args, '--vault-name', 'dev', ...d);
const selfPolicy = (subject) => JSON.stringify({
  issuer: { name: 'Self' }, x509_props: { subject, validity_months: 6 },
});

/** An openssl-made key and self-signed certificate: <prefix>.key, <prefix>.crt, <prefix>.pem (both). */
function makeKeyAndCert(prefix, subject) {
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${prefix}.key`,
    '-out', `${prefix}.crt`, '-subj', subject, '-days', '30');
  fs.writeFileSync(file(`${prefix}.pem`),
    fs.readFileSync(file(`${prefix}.key`), 'utf8') + fs.readFileSync(file(`${prefix}.crt`), 'utf8'));
}

describe('coffer certificate create, show, list and download', () => {
  test('create with Self waits for the issuer and prints the certificate; download PEM and DER', async () => {
    const name = uniqueName('clicert');
    // az's own policy shape, from a file, as `az keyvault certificate get-default-policy` prints it.
    fs.writeFileSync(file('az-policy.json'), JSON.stringify({
      issuerParameters: { name: 'Self', certificateTransparency: null },
      keyProperties: { exportable: true, keySize: 2048, keyType: 'RSA', reuseKey: false, curve: null },
      secretProperties: { contentType: 'application/x-pkcs12' },
      x509CertificateProperties: {
        subject: `CN=${name}`, subjectAlternativeNames: { dnsNames: ['cli.example'] }, validityInMonths: 12,
      },
    }));
    const created = await cert('create', '--name', name, '--policy', `@${file('az-policy.json')}`,
      '--tags', 'env=test', 'team=a');
    assert.match(created.id, new RegExp(`/certificates/${name}/[0-9a-f]{32}$`));
    assert.ok(created.cer, 'the issued certificate is printed');
    assert.deepEqual(created.tags, { env: 'test', team: 'a' });
    assert.deepEqual(created.policy.x509_props.sans.dns_names, ['cli.example']);
    const x509 = new crypto.X509Certificate(Buffer.from(created.cer, 'base64'));
    assert.match(x509.subject, new RegExp(`CN=${name}`));
    assert.equal((await sdk.getCertificate(name)).properties.version, created.id.split('/').pop());

    const version = created.id.split('/').pop();
    assert.equal((await cert('show', '-n', name)).id, created.id);
    assert.equal((await cert('show', '-n', name, '--version', version)).x5t, created.x5t);
    const listed = await cert('list');
    assert.ok(listed.some((c) => c.id.endsWith(`/certificates/${name}`)), 'a list prints the value array');
    assert.equal((await cert('list-versions', '-n', name)).length, 1);

    const pem = file(`${name}.pem`);
    assert.equal((await cli('certificate', 'download', '--vault-name', 'dev', '-n', name, '-f', pem, ...d)).stdout, '');
    assert.equal(new crypto.X509Certificate(fs.readFileSync(pem)).fingerprint256, x509.fingerprint256);
    assert.match(fs.readFileSync(pem, 'utf8'), /^-----BEGIN CERTIFICATE-----\n/);
    const der = file(`${name}.der`);
    await cli('certificate', 'download', '--vault-name', 'dev', '-n', name, '-f', der, '--encoding', 'DER',
      '--version', version, ...d);
    assert.deepEqual(fs.readFileSync(der), x509.raw);
    await expectRefusal(['certificate', 'download', '--vault-name', 'dev', '-n', name, '-f', der, ...d],
      /already exists/);
  });

  test('the server\'s refusals exit 1 with its message', async () => {
    await expectRefusal(['certificate', 'create', '--vault-name', 'dev', '-n', uniqueName('bad'),
      '--policy', selfPolicy('not a subject'), ...d], /subject/);
    await expectRefusal(['certificate', 'show', '--vault-name', 'dev', '-n', uniqueName('none'), ...d], /not found/i);
    await expectRefusal(['certificate', 'list', '--vault-name', uniqueName('novault'), ...d], /vault .* not found/i);
    await expectRefusal(['certificate', 'download', '--vault-name', 'dev', '-n', uniqueName('none'),
      '-f', file('never.pem'), ...d], /not found/i);
    assert.ok(!fs.existsSync(file('never.pem')));
  });
});

describe('coffer certificate with the Unknown issuer', () => {
  before(() => {  // a throwaway CA that signs the pending CSRs
    openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem',
      '-subj', '/CN=CLI Test CA', '-days', '2');
  });

  test('create prints the pending operation; merge of a CA-signed chain completes it', async () => {
    const name = uniqueName('clipending');
    const op = await cert('create', '-n', name, '--policy', JSON.stringify({
      issuerParameters: { name: 'Unknown' }, x509CertificateProperties: { subject: `CN=${name}` },
    }));
    assert.equal(op.status, 'inProgress');
    assert.equal(op.issuer.name, 'Unknown');
    assert.ok(op.csr, 'the operation carries the CSR');
    assert.equal((await cert('pending', 'show', '-n', name)).csr, op.csr);
    assert.ok((await cert('list', '--include-pending')).some((c) => c.id.endsWith(`/certificates/${name}`)));

    fs.writeFileSync(file(`${name}.csr`), Buffer.from(op.csr, 'base64'));
    openssl('req', '-inform', 'DER', '-in', `${name}.csr`, '-out', `${name}.csr.pem`);
    openssl('x509', '-req', '-in', `${name}.csr.pem`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-set_serial', '7',
      '-out', `${name}.crt`, '-days', '1');
    fs.writeFileSync(file(`${name}.chain.pem`),
      fs.readFileSync(file(`${name}.crt`), 'utf8') + fs.readFileSync(file('ca.pem'), 'utf8'));

    // A chain for another key is refused and leaves the operation pending.
    makeKeyAndCert('stranger', '/CN=stranger');
    await expectRefusal(['certificate', 'pending', 'merge', '--vault-name', 'dev', '-n', name,
      '-f', file('stranger.crt'), ...d], /does not match/);
    const merged = await cert('pending', 'merge', '-n', name, '--file', file(`${name}.chain.pem`));
    const x509 = new crypto.X509Certificate(Buffer.from(merged.cer, 'base64'));
    assert.match(x509.issuer, /CN=CLI Test CA/);
    assert.match(x509.subject, new RegExp(`CN=${name}`));
    await expectRefusal(['certificate', 'pending', 'merge', '--vault-name', 'dev', '-n', name,
      '-f', file(`${name}.chain.pem`), ...d], /Pending certificate not found/);
  });

  test('`merge` takes a DER certificate; pending delete ends an operation', async () => {
    const name = uniqueName('clider');
    const policy = JSON.stringify({ issuer: { name: 'Unknown' }, x509_props: { subject: `CN=${name}` } });
    const op = await cert('create', '-n', name, '--policy', policy);
    fs.writeFileSync(file(`${name}.csr`), Buffer.from(op.csr, 'base64'));
    openssl('x509', '-req', '-inform', 'DER', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key',
      '-set_serial', '8', '-outform', 'DER', '-out', `${name}.der`, '-days', '1');
    const merged = await cert('merge', '-n', name, '-f', file(`${name}.der`), '--tags', 'merged=yes');
    assert.deepEqual(merged.tags, { merged: 'yes' });

    const other = uniqueName('clidrop');
    await cert('create', '-n', other, '--policy', policy.replaceAll(name, other));
    const deleted = await cert('pending', 'delete', '-n', other);
    assert.equal(deleted.status, 'inProgress');
    await expectRefusal(['certificate', 'pending', 'show', '--vault-name', 'dev', '-n', other, ...d],
      /Pending certificate not found/);
  });
});

describe('coffer certificate import and lifecycle', () => {
  test('import a PEM bundle and a password-protected PFX; a wrong password is refused', async () => {
    makeKeyAndCert('imp', '/CN=imported');
    openssl('pkcs12', '-export', '-inkey', 'imp.key', '-in', 'imp.crt', '-out', 'imp.pfx', '-passout', 'pass:pw');
    const fromPem = await cert('import', '-n', uniqueName('clipem'), '-f', file('imp.pem'), '--disabled');
    assert.equal(fromPem.policy.secret_props.contentType, 'application/x-pem-file');
    assert.equal(fromPem.attributes.enabled, false);
    const fromPfx = await cert('import', '-n', uniqueName('clipfx'), '--file', file('imp.pfx'), '--password', 'pw');
    assert.equal(fromPfx.policy.secret_props.contentType, 'application/x-pkcs12');
    assert.equal(fromPfx.x5t, fromPem.x5t);
    await expectRefusal(['certificate', 'import', '--vault-name', 'dev', '-n', uniqueName('clipfx'),
      '-f', file('imp.pfx'), '--password', 'wrong', ...d], /password/);
    await expectRefusal(['certificate', 'import', '--vault-name', 'dev', '-n', uniqueName('clipfx'),
      '-f', file('missing.pfx'), ...d], /missing\.pfx/);
  });

  test('delete, list-deleted, show-deleted, recover, delete again and purge', async () => {
    const name = uniqueName('clidel');
    await cert('create', '-n', name, '--policy', selfPolicy(`CN=${name}`));
    const deleted = await cert('delete', '-n', name);
    assert.equal(deleted.recoveryId, `https://dev.vault.localhost:${server.port}/deletedcertificates/${name}`);
    assert.ok((await cert('list-deleted')).some((c) => c.recoveryId === deleted.recoveryId));
    assert.equal((await cert('show-deleted', '-n', name)).recoveryId, deleted.recoveryId);
    const recovered = await cert('recover', '-n', name);
    assert.equal(recovered.id, deleted.id);
    await cert('delete', '-n', name);
    const purged = await cli('certificate', 'purge', '--vault-name', 'dev', '-n', name, ...d);
    assert.equal(purged.stdout, '', 'purge prints nothing, as az does');
    await expectRefusal(['certificate', 'purge', '--vault-name', 'dev', '-n', name, ...d], /not found/i);
    await expectRefusal(['certificate', 'recover', '--vault-name', 'dev', '-n', name, ...d], /not found/i);
  });
});

describe('coffer certificate contact and issuer', () => {
  test('contact add appends, list shows, delete removes one and then the last', async () => {
    await expectRefusal(['certificate', 'contact', 'list', '--vault-name', 'dev', ...d], /Contacts not found/);
    await cert('contact', 'add', '--email', 'alice@example.com', '--name', 'Alice', '--phone', '555-0100');
    const two = await cert('contact', 'add', '--email', 'bob@example.com');
    assert.deepEqual(two.contacts, [
      { email: 'alice@example.com', name: 'Alice', phone: '555-0100' }, { email: 'bob@example.com' },
    ]);
    assert.deepEqual((await cert('contact', 'list')).contacts, two.contacts);
    const one = await cert('contact', 'delete', '--email', 'alice@example.com');
    assert.deepEqual(one.contacts, [{ email: 'bob@example.com' }]);
    await expectRefusal(['certificate', 'contact', 'delete', '--vault-name', 'dev', '--email', 'nobody@example.com',
      ...d], /contact 'nobody@example.com' not found/);
    await expectRefusal(['certificate', 'contact', 'add', '--vault-name', 'dev', '--email', 'not-an-email', ...d]);
    await cert('contact', 'delete', '--email', 'bob@example.com');
    await expectRefusal(['certificate', 'contact', 'list', '--vault-name', 'dev', ...d], /Contacts not found/);
  });

  test('issuer create, show, list, update and delete; the password is never printed', async () => {
    const name = uniqueName('cliissuer');
    const created = await cert('issuer', 'create', '--issuer-name', name, '--provider-name', 'DigiCert',
      '--account-id', 'acct-1', '--password', 'issuer-password', '--organization-id', 'org-1');
    assert.equal(created.provider, 'DigiCert');
    assert.equal(created.credentials.account_id, 'acct-1');
    assert.equal(created.org_details.id, 'org-1');
    assert.ok(!JSON.stringify(created).includes('issuer-password'));
    assert.equal((await cert('issuer', 'show', '--issuer-name', name)).id, created.id);
    assert.ok((await cert('issuer', 'list')).some((i) => i.id === created.id));
    const updated = await cert('issuer', 'update', '--issuer-name', name, '--enabled', 'false',
      '--account-id', 'acct-2');
    assert.equal(updated.attributes.enabled, false);
    assert.equal(updated.credentials.account_id, 'acct-2');
    assert.equal(updated.org_details.id, 'org-1', 'fields not given stay');
    await cert('issuer', 'delete', '--issuer-name', name);
    await expectRefusal(['certificate', 'issuer', 'show', '--vault-name', 'dev', '--issuer-name', name, ...d],
      /Issuer not found/);
    await expectRefusal(['certificate', 'issuer', 'create', '--vault-name', 'dev', '--issuer-name', 'Self',
      '--provider-name', 'x', ...d], /Self/);
  });
});

describe('coffer certificate usage errors', () => {
  test('missing or malformed options exit 2 before anything is sent', async () => {
    const v = ['--vault-name', 'dev', ...d];
    await expectUsageError(['certificate', ...d]);
    await expectUsageError(['certificate', 'create', '-n', 'x', ...v], /--policy/);
    await expectUsageError(['certificate', 'create', '-n', 'x', '--policy', '{not json', ...v], /--policy/);
    await expectUsageError(['certificate', 'create', '-n', 'x', '--policy', `@${file('none.json')}`, ...v], /--policy/);
    await expectUsageError(['certificate', 'create', '-n', 'x', '--policy', '{}', '--tags', '=v', ...v], /--tags/);
    await expectUsageError(['certificate', 'show', '-n', 'x', ...d], /--vault-name/);
    await expectUsageError(['certificate', 'show', '-n', 'x', '--vault-name', 'no_such/vault', ...d], /vault name/);
    await expectUsageError(['certificate', 'import', '-n', 'x', ...v], /--file/);
    await expectUsageError(['certificate', 'download', '-n', 'x', '-f', file('x.pem'), '--encoding', 'P7B', ...v],
      /--encoding/);
    await expectUsageError(['certificate', 'pending', ...v]);
    await expectUsageError(['certificate', 'pending', 'merge', '-n', 'x', ...v], /--file/);
    await expectUsageError(['certificate', 'backup', '-n', 'x', ...v], /--file/);
    await expectUsageError(['certificate', 'restore', ...v], /--file/);
    await expectUsageError(['certificate', 'purge', ...v], /--name/);
    await expectUsageError(['certificate', 'contact', 'add', ...v], /--email/);
    await expectUsageError(['certificate', 'issuer', 'create', '--issuer-name', 'i', ...v], /--provider-name/);
    await expectUsageError(['certificate', 'issuer', 'update', '--issuer-name', 'i', '--enabled', 'maybe', ...v],
      /--enabled/);
  });
});

describe('coffer certificate backup and restore', () => {
  test('backup writes the raw blob bytes; restore brings back the certificate with its key and secret', async () => {
    const name = uniqueName('clibak');
    const created = await cert('create', '-n', name, '--policy', selfPolicy(`CN=${name}`));
    const blob = file(`${name}.blob`);
    const out = await cli('certificate', 'backup', '--vault-name', 'dev', '-n', name, '--file', blob, ...d);
    assert.equal(out.stdout, '', 'backup prints nothing, as az does');
    const bytes = fs.readFileSync(blob);
    const viaSdk = await sdk.backupCertificate(name);
    assert.ok(bytes.length > 100 && !/^[A-Za-z0-9_-]+$/.test(bytes.toString('latin1')),
      'the file holds the decoded blob, not base64url text');
    assert.equal(bytes.length, viaSdk.length, 'the same bytes the SDK decodes');
    assert.equal(fs.statSync(blob).mode & 0o777, 0o600);

    await expectRefusal(['certificate', 'restore', '--vault-name', 'dev', '-f', blob, ...d], /already exists/);
    await cert('delete', '-n', name);
    await cli('certificate', 'purge', '--vault-name', 'dev', '-n', name, ...d);
    const restored = await cert('restore', '--file', blob);
    assert.equal(restored.id, created.id);
    assert.equal(restored.x5t, created.x5t);
    const version = created.id.split('/').pop();
    assert.equal((await sdk.getCertificate(name)).properties.version, version);
    const secret = await secretClient(server).getSecret(name);
    assert.equal(secret.properties.managed, true);
    assert.equal(secret.properties.version, version);
    assert.equal((await keyClient(server).getKey(name)).properties.version, version);
  });

  test('a file that is no backup, or a certificate that does not exist, is refused with exit 1', async () => {
    fs.writeFileSync(file('junk.blob'), 'not a backup blob');
    await expectRefusal(['certificate', 'restore', '--vault-name', 'dev', '-f', file('junk.blob'), ...d],
      /Backup blob contains invalid or corrupt version/);
    await expectRefusal(['certificate', 'restore', '--vault-name', 'dev', '-f', file('missing.blob'), ...d],
      /missing\.blob/);
    await expectRefusal(['certificate', 'backup', '--vault-name', 'dev', '-n', uniqueName('none'),
      '-f', file('none.blob'), ...d], /not found/i);
    assert.ok(!fs.existsSync(file('none.blob')));
  });
});
