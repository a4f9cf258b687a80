// Certificates through the unmodified @azure/keyvault-certificates CertificateClient on the dev
// vault: Self issuance (RSA, EC) with the managed key and secret, reads, updates, lists, policy,
// soft delete / recover / purge, import of PFX and PEM, Unknown issuer with CSR and merge against a
// throwaway CA, and bad input (AZURE_API.md §5, Part 2 §A; CONTRACT.md "Certificates").
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
  credentialFor, vaultUrl, secretClient, expectRestError, innerCode, collect, uniqueName,
} from '../support/azure.mjs';
import { keyClient } from '../support/keys.mjs';

let server;
let client;
let keys;
let secrets;
let origin;
let tmp;
const FAST = { intervalInMs: 50 };
const VERSION_RE = /^[0-9a-f]{32}$/;

before(async () => {
  server = await startServer();
  client = new CertificateClient(vaultUrl(server, 'dev'), credentialFor(server.creds));
  keys = keyClient(server);
  secrets = secretClient(server);
  origin = `https://dev.vault.localhost:${server.port}`;
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'coffer-cert-'));
});
after(async () => {
  await server?.remove();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

const openssl = (...args) => execFileSync('openssl', args, { cwd: tmp, stdio: ['pipe', 'pipe', 'pipe'] });
const file = (name) => path.join(tmp, name);

/** A self-signed RSA certificate and PKCS#8 key made by openssl in the temp dir. */
function makeSelfSigned(prefix, subject) {
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${prefix}.key`,
    '-out', `${prefix}.pem`, '-subj', subject, '-days', '30',
    '-addext', 'subjectAltName=DNS:imported.example');
  return { key: fs.readFileSync(file(`${prefix}.key`), 'utf8'), cert: fs.readFileSync(file(`${prefix}.pem`), 'utf8') };
}

async function createSelf(name, policy) {
  const poller = await client.beginCreateCertificate(name, { issuerName: 'Self', ...policy }, FAST);
  return poller.pollUntilDone();
}

/** Checks the certificate against its managed key and secret. */
async function assertManaged(cert, name) {
  const version = cert.properties.version;
  assert.match(version, VERSION_RE);
  assert.equal(cert.keyId, `${origin}/keys/${name}/${version}`);
  assert.equal(cert.secretId, `${origin}/secrets/${name}/${version}`);
  const x509 = new crypto.X509Certificate(Buffer.from(cert.cer));
  const key = await keys.getKey(name);
  assert.equal(key.properties.version, version);
  assert.equal(key.properties.managed, true);
  const jwk = x509.publicKey.export({ format: 'jwk' });
  if (jwk.kty === 'RSA') assert.equal(Buffer.from(key.key.n).toString('base64url'), jwk.n);
  else assert.equal(Buffer.from(key.key.x).toString('base64url'), jwk.x);
  const secret = await secrets.getSecret(name);
  assert.equal(secret.properties.managed, true);
  assert.equal(secret.properties.version, version);
  assert.equal(secret.properties.certificateKeyId, cert.keyId);
  return { x509, key, secret };
}

describe('create with issuer Self', () => {
  test('RSA: cer parses, is self-signed, matches the policy and the managed key; the PFX opens', async () => {
    const name = uniqueName('rsa');
    const cert = await createSelf(name, {
      subject: 'CN=rsa.example', subjectAlternativeNames: { dnsNames: ['rsa.example'] }, validityInMonths: 12,
    });
    const { x509, secret } = await assertManaged(cert, name);
    assert.equal(x509.subject, 'CN=rsa.example');
    assert.match(x509.subjectAltName, /DNS:rsa\.example/);
    assert.ok(x509.verify(x509.publicKey), 'self-signed');
    assert.equal(new Date(x509.validTo).getTime(), cert.properties.expiresOn.getTime());
    assert.equal(cert.properties.x509Thumbprint.length, 20);
    assert.equal(secret.properties.contentType, 'application/x-pkcs12');
    fs.writeFileSync(file(`${name}.pfx`), Buffer.from(secret.value, 'base64'));
    const out = openssl('pkcs12', '-in', `${name}.pfx`, '-passin', 'pass:', '-nokeys').toString();
    assert.match(out, /BEGIN CERTIFICATE/);
    assert.equal(cert.policy.issuerName, 'Self');
  });

  test('EC P-256 with PEM content type: the secret is key and certificate', async () => {
    const name = uniqueName('ec');
    const cert = await createSelf(name, {
      subject: 'CN=ec.example', keyType: 'EC', keyCurveName: 'P-256', contentType: 'application/x-pem-file',
    });
    const { x509, secret, key } = await assertManaged(cert, name);
    assert.equal(x509.publicKey.asymmetricKeyDetails.namedCurve, 'prime256v1');
    assert.equal(key.keyType, 'EC');
    assert.equal(secret.properties.contentType, 'application/x-pem-file');
    assert.match(secret.value, /^-----BEGIN PRIVATE KEY-----\n/);
    crypto.createPrivateKey(secret.value);
  });

  test('get, get version, update, list, versions, policy', async () => {
    const name = uniqueName('life');
    const created = await createSelf(name, { subject: 'CN=life.example' });
    const got = await client.getCertificate(name);
    assert.equal(got.properties.version, created.properties.version);
    const byVersion = await client.getCertificateVersion(name, created.properties.version);
    assert.deepEqual(Buffer.from(byVersion.cer), Buffer.from(created.cer));
    const updated = await client.updateCertificateProperties(name, created.properties.version, { tags: { a: 'b' } });
    assert.deepEqual(updated.properties.tags, { a: 'b' });
    const listed = await collect(client.listPropertiesOfCertificates());
    assert.ok(listed.some((c) => c.name === name));
    const versions = await collect(client.listPropertiesOfCertificateVersions(name));
    assert.equal(versions.length, 1);
    assert.deepEqual(await collect(client.listPropertiesOfCertificateVersions(uniqueName('never'))), []);
    const policy = await client.getCertificatePolicy(name);
    assert.equal(policy.subject, 'CN=life.example');
    await client.updateCertificatePolicy(name, { ...policy, validityInMonths: 24 });
    assert.equal((await client.getCertificatePolicy(name)).validityInMonths, 24);
  });

  test('delete, get deleted, recover, delete, purge', async () => {
    const name = uniqueName('del');
    await createSelf(name, { subject: 'CN=del.example' });
    await (await client.beginDeleteCertificate(name, FAST)).pollUntilDone();
    const deleted = await client.getDeletedCertificate(name);
    assert.equal(deleted.recoveryId, `${origin}/deletedcertificates/${name}`);
    await expectRestError(keys.getKey(name), 404);
    // The deleted key and secret are read by name but not listed (Azure's behaviour).
    assert.equal((await keys.getDeletedKey(name)).properties.managed, true);
    assert.ok(!(await collect(keys.listDeletedKeys())).some((k) => k.name === name));
    assert.ok(!(await collect(secrets.listDeletedSecrets())).some((x) => x.name === name));
    await (await client.beginRecoverDeletedCertificate(name, FAST)).pollUntilDone();
    assert.equal((await keys.getKey(name)).properties.managed, true);
    await (await client.beginDeleteCertificate(name, FAST)).pollUntilDone();
    await client.purgeDeletedCertificate(name);
    await expectRestError(client.getDeletedCertificate(name), 404);
  });

  test('backup, purge and restore bring back every version with its key and secret', async () => {
    const name = uniqueName('bak');
    await createSelf(name, { subject: 'CN=bak.example' });
    const latest = await createSelf(name, { subject: 'CN=bak.example' });
    const blob = await client.backupCertificate(name);
    assert.ok(blob instanceof Uint8Array && blob.length > 0);
    await (await client.beginDeleteCertificate(name, FAST)).pollUntilDone();
    await client.purgeDeletedCertificate(name);
    const restored = await client.restoreCertificateBackup(blob);
    assert.equal(restored.properties.version, latest.properties.version);
    assert.deepEqual(Buffer.from(restored.cer), Buffer.from(latest.cer));
    assert.equal(restored.policy.subject, 'CN=bak.example');
    const versions = await collect(client.listPropertiesOfCertificateVersions(name));
    assert.equal(versions.length, 2);
    await assertManaged(restored, name);
    await expectRestError(client.restoreCertificateBackup(blob), 409);
    const bad = await expectRestError(client.restoreCertificateBackup(new Uint8Array([1, 2, 3])), 400);
    assert.match(bad.message, /Backup blob contains invalid or corrupt version\./);
  });

  test('the managed secret and key refuse direct changes with 403', async () => {
    const name = uniqueName('man');
    await createSelf(name, { subject: 'CN=man.example' });
    const err = await expectRestError(secrets.setSecret(name, 'x'), 403, 'Forbidden');
    assert.equal(innerCode(err), 'SecretManagedByKeyVault');
    assert.match(err.message, /Operation "set" is not allowed as this object's lifetime is managed by Key Vault\./);
    const keyErr = await expectRestError(keys.updateKeyProperties(name, '', { tags: { a: 'b' } }), 403);
    assert.equal(innerCode(keyErr), 'KeyManagedByKeyVault');
  });

  test('a plain secret\'s name is a 409', async () => {
    const name = uniqueName('plain');
    await secrets.setSecret(name, 'v');
    await expectRestError(client.beginCreateCertificate(name, { issuerName: 'Self', subject: 'CN=x' }, FAST), 409);
  });
});

describe('import', () => {
  test('a PFX with a password', async () => {
    const { cert } = makeSelfSigned('imp', '/CN=imported.example');
    openssl('pkcs12', '-export', '-inkey', 'imp.key', '-in', 'imp.pem', '-out', 'imp.pfx', '-passout', 'pass:pw');
    const name = uniqueName('pfx');
    const imported = await client.importCertificate(name, fs.readFileSync(file('imp.pfx')), { password: 'pw' });
    assert.deepEqual(Buffer.from(imported.cer), new crypto.X509Certificate(cert).raw);
    assert.equal(imported.policy.subject, 'CN=imported.example');
    assert.equal(imported.policy.issuerName, 'Self');
    await assertManaged(imported, name);
  });

  test('a PEM bundle', async () => {
    const { key, cert } = makeSelfSigned('pem', '/CN=pem.example');
    const name = uniqueName('pem');
    const imported = await client.importCertificate(name, Buffer.from(key + cert), {
      policy: { contentType: 'application/x-pem-file', issuerName: 'Self', subject: 'CN=pem.example' },
    });
    const { secret } = await assertManaged(imported, name);
    assert.equal(secret.properties.contentType, 'application/x-pem-file');
  });

  test('bad input: a wrong PFX password, PEM without a key', async () => {
    makeSelfSigned('bad', '/CN=bad.example');
    openssl('pkcs12', '-export', '-inkey', 'bad.key', '-in', 'bad.pem', '-out', 'bad.pfx', '-passout', 'pass:right');
    await expectRestError(client.importCertificate(uniqueName('bad'), fs.readFileSync(file('bad.pfx')), { password: 'wrong' }), 400, 'BadParameter');
    await expectRestError(client.importCertificate(uniqueName('bad'), fs.readFileSync(file('bad.pem')), {
      policy: { contentType: 'application/x-pem-file', issuerName: 'Self', subject: 'CN=bad.example' },
    }), 400, 'BadParameter');
  });
});

describe('issuer Unknown', () => {
  test('CSR signed by a throwaway CA merges; a chain of another key does not', async () => {
    openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem',
      '-subj', '/CN=Throwaway CA', '-days', '2');
    const name = uniqueName('ext');
    await client.beginCreateCertificate(name, { issuerName: 'Unknown', subject: 'CN=ext.example' }, FAST);
    const poller = await client.getCertificateOperation(name, FAST);
    const op = poller.getOperationState().certificateOperation;
    assert.equal(op.status, 'inProgress');
    fs.writeFileSync(file(`${name}.csr`), Buffer.from(op.csr));
    openssl('req', '-inform', 'DER', '-in', `${name}.csr`, '-out', `${name}.csr.pem`);
    openssl('x509', '-req', '-in', `${name}.csr.pem`, '-CA', 'ca.pem', '-CAkey', 'ca.key',
      '-CAcreateserial', '-out', `${name}.crt`, '-days', '1');
    const leaf = fs.readFileSync(file(`${name}.crt`));

    // Another pending certificate refuses this chain.
    const other = uniqueName('other');
    await client.beginCreateCertificate(other, { issuerName: 'Unknown', subject: 'CN=other.example' }, FAST);
    await expectRestError(client.mergeCertificate(other, [leaf]), 400, 'BadParameter');

    const merged = await client.mergeCertificate(name, [leaf]);
    const x509 = new crypto.X509Certificate(Buffer.from(merged.cer));
    assert.equal(x509.issuer, 'CN=Throwaway CA');
    assert.ok(x509.verify(new crypto.X509Certificate(fs.readFileSync(file('ca.pem'))).publicKey));
    await assertManaged(merged, name);
    const done = await client.getCertificateOperation(name);
    assert.equal(done.getOperationState().certificateOperation.status, 'completed');
  });
});

describe('contacts', () => {
  test('set, get and delete the vault\'s certificate contacts; none → 404 ContactsNotFound', async () => {
    const err = await expectRestError(client.getContacts(), 404);
    assert.match(err.message, /Contacts not found/);
    const contacts = [
      { email: 'a@example.com', name: 'a', phone: '111111111111' },
      { email: 'b@example.com', name: 'b', phone: '222222222222' },
    ];
    const set = await client.setContacts(contacts);
    assert.deepEqual(set.map((c) => c.email), ['a@example.com', 'b@example.com']);
    const got = await client.getContacts();
    assert.deepEqual(got.map((c) => [c.email, c.name, c.phone]), contacts.map((c) => [c.email, c.name, c.phone]));
    // The server answers the removed list ({id, contacts}); SDK 4.10.3's deleteContacts reads a
    // `contactList` field from the raw body and so always returns [] (as against Azure).
    await client.deleteContacts();
    await expectRestError(client.getContacts(), 404);
    await expectRestError(client.setContacts([{ email: 'not-an-address' }]), 400);
  });
});

describe('issuers', () => {
  test('create, read, update, list and delete an issuer; the password is never returned', async () => {
    const name = uniqueName('issuer');
    const created = await client.createIssuer(name, 'Test', {
      accountId: 'keyvaultuser', password: 'p@ss-not-echoed',
      administratorContacts: [{ firstName: 'John', lastName: 'Doe', email: 'admin@example.com', phone: '4255555555' }],
    });
    // The id is Azure's (https://<vault>/certificates/issuers/<name>); SDK 4.10.3 parses it as a
    // certificate id, so its `name` field reads "issuers", as against Azure.
    assert.ok(created.id.endsWith(`/certificates/issuers/${name}`), created.id);
    assert.equal(created.provider, 'Test');
    assert.equal(created.accountId, 'keyvaultuser');
    assert.equal(created.password, undefined);
    assert.equal(created.administratorContacts[0].email, 'admin@example.com');
    const updated = await client.updateIssuer(name, { provider: 'Test2' });
    assert.equal(updated.provider, 'Test2');
    assert.equal(updated.accountId, 'keyvaultuser', 'PATCH keeps what it does not name');
    const got = await client.getIssuer(name);
    assert.equal(got.provider, 'Test2');
    const listed = await collect(client.listPropertiesOfIssuers());
    assert.ok(listed.some((i) => i.id.endsWith(`/issuers/${name}`) && i.provider === 'Test2'));
    await client.deleteIssuer(name);
    const err = await expectRestError(client.getIssuer(name), 404);
    assert.match(err.message, /Issuer not found/);
    await expectRestError(client.createIssuer('Self', 'Test'), 400);
    // A certificate may name a configured issuer: it waits for that CA (Coffer has no CA
    // integration), merge is refused, and deleting the operation ends it. An issuer that is not
    // configured is a 400.
    const ca = uniqueName('ca');
    await client.createIssuer(ca, 'Test');
    const certName = uniqueName('viaca');
    const poller = await client.beginCreateCertificate(certName, { issuerName: ca, subject: 'CN=via.ca' });
    const op = await client.getCertificateOperation(certName);
    assert.equal(op.getOperationState().certificateOperation.status, 'inProgress');
    assert.equal(op.getOperationState().certificateOperation.issuerName, ca);
    const forbidden = await expectRestError(client.mergeCertificate(certName, [Buffer.from('MIIB')]), 403);
    assert.match(forbidden.message, /Merge is forbidden/);
    await client.deleteCertificateOperation(certName);
    poller.stopPolling();
    await expectRestError(client.beginCreateCertificate(uniqueName('noca'), { issuerName: uniqueName('absent'), subject: 'CN=x' }), 400);
    await expectRestError(client.createIssuer(uniqueName('noprov'), ''), 400);
  });
});
