// Certificate lifetime actions through the unmodified @azure/keyvault-certificates
// CertificateClient (AZURE_API.md §5.2, Part 2 §A3; CONTRACT.md "Dev clock"): a Self certificate
// of short validity with AutoRenew and EmailContacts actions gets a new version, with its managed
// key, once the dev clock passes the trigger — with no call — and the EmailContacts action is one
// line of audit.jsonl naming the vault, certificate, version and the contacts' emails.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { CertificateClient } from '@azure/keyvault-certificates';
import { startServer } from '../support/server.mjs';
import { credentialFor, vaultUrl, collect, pollUntil, timeShift, uniqueName } from '../support/azure.mjs';
import { keyClient } from '../support/keys.mjs';

const DAY = 86_400;
const FAST = { intervalInMs: 50 };
let server;
let client;

before(async () => {
  server = await startServer();
  client = new CertificateClient(vaultUrl(server, 'dev'), credentialFor(server.creds));
});
after(async () => { await server?.remove(); });

const seconds = (d) => Math.round(d.getTime() / 1000);
const auditLines = () => fs.readFileSync(path.join(server.dataDir, 'audit.jsonl'), 'utf8')
  .split('\n').filter(Boolean).map((l) => JSON.parse(l));
const actionLines = (name) => auditLines()
  .filter((l) => l.operation?.startsWith('CertificateLifetimeAction/') && l.object?.name === name);
const publicKeyOf = (cert) => new crypto.X509Certificate(Buffer.from(cert.cer)).publicKey
  .export({ type: 'spki', format: 'der' }).toString('base64');

async function createSelf(name, policy) {
  const poller = await client.beginCreateCertificate(name, {
    issuerName: 'Self', subject: `CN=${name}.example`, validityInMonths: 1, keyType: 'EC', keyCurveName: 'P-256', ...policy,
  }, FAST);
  return poller.pollUntilDone();
}

// The certificate's versions once the sweeper has renewed it (two), polling for at most 15 s.
async function waitForRenewal(name) {
  let versions = [];
  await pollUntil(async () => {
    versions = await collect(client.listPropertiesOfCertificateVersions(name));
    return versions.length >= 2;
  }, { timeoutMs: 15_000, intervalMs: 250, what: `the renewal of ${name}` });
  return versions;
}

describe('lifetime actions on the dev clock', () => {
  test('AutoRenew at 50 % and EmailContacts 20 days before expiry: a new version and one audit line', async () => {
    await client.setContacts([{ email: 'ops@example.com', name: 'Ops' }, { email: 'pki@example.com' }]);
    const name = uniqueName('renew');
    const v1 = await createSelf(name, {
      lifetimeActions: [{ action: 'AutoRenew', lifetimePercentage: 50 }, { action: 'EmailContacts', daysBeforeExpiry: 20 }],
    });
    const policy = await client.getCertificatePolicy(name);
    assert.deepEqual(
      policy.lifetimeActions.map((a) => [a.action, a.lifetimePercentage, a.daysBeforeExpiry]),
      [['AutoRenew', 50, undefined], ['EmailContacts', undefined, 20]],
    );
    const nbf = seconds(v1.properties.notBefore);
    const exp = seconds(v1.properties.expiresOn);
    const created = seconds(v1.properties.createdOn);
    const renewAt = nbf + Math.floor((exp - nbf) / 2);
    assert.ok(renewAt - created > 10 * DAY, 'the trigger is days away');

    // Two days before the renewal: the EmailContacts action (expiry − 20 days) has come, and the
    // pass that took it did not renew.
    await timeShift(server, renewAt - created - 2 * DAY);
    await pollUntil(() => actionLines(name).length > 0, { what: 'the EmailContacts audit line' });
    const mailed = actionLines(name);
    assert.equal(mailed.length, 1, JSON.stringify(mailed));
    assert.equal((await collect(client.listPropertiesOfCertificateVersions(name))).length, 1, 'not renewed early');
    assert.equal(mailed[0].operation, 'CertificateLifetimeAction/EmailContacts');
    assert.equal(mailed[0].vault, 'dev');
    assert.equal(mailed[0].plane, 'system');
    assert.deepEqual(mailed[0].object, { kind: 'certificate', name, version: v1.properties.version });
    assert.deepEqual(mailed[0].contacts, ['ops@example.com', 'pki@example.com']);

    // Past the trigger: the sweeper renews with no call.
    const offset = await timeShift(server, 3 * DAY);
    const versions = await waitForRenewal(name);
    assert.equal(versions.length, 2);
    const v2 = await client.getCertificate(name);
    assert.notEqual(v2.properties.version, v1.properties.version);
    assert.equal(v2.properties.enabled, true);
    const v2created = seconds(v2.properties.createdOn);
    assert.ok(v2created >= renewAt, `created ${v2created} on the shifted clock, at or after ${renewAt}`);
    assert.ok(Math.abs(v2created - (created + offset)) <= 60, 'created ≈ now on the shifted clock');
    assert.ok(seconds(v2.properties.expiresOn) > exp, 'the new version expires later');
    assert.notEqual(publicKeyOf(v2), publicKeyOf(v1), 'a new key pair (reuseKey false)');
    // The managed key of the new version is the certificate's key.
    const key = await keyClient(server).getKey(name);
    assert.equal(key.properties.version, v2.properties.version);
    assert.equal(key.properties.managed, true);
    const lines = actionLines(name);
    assert.equal(lines.length, 2, JSON.stringify(lines));
    assert.equal(lines[1].operation, 'CertificateLifetimeAction/AutoRenew');
    assert.equal(lines[1].object.version, v2.properties.version);

    // Once: a later pass does not renew the old version again.
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal((await collect(client.listPropertiesOfCertificateVersions(name))).length, 2);
  });

  test('reuseKey: the renewed version keeps the key pair', async () => {
    const name = uniqueName('reuse');
    const v1 = await createSelf(name, { reuseKey: true, lifetimeActions: [{ action: 'AutoRenew', daysBeforeExpiry: 5 }] });
    const created = seconds(v1.properties.createdOn);
    const renewAt = seconds(v1.properties.expiresOn) - 5 * DAY;
    await timeShift(server, renewAt - created + DAY);
    await waitForRenewal(name);
    const v2 = await client.getCertificate(name);
    assert.notEqual(v2.properties.version, v1.properties.version);
    assert.equal(publicKeyOf(v2), publicKeyOf(v1), 'same public key');
    assert.notDeepEqual([...v2.cer], [...v1.cer], 'a new certificate');
  });
});
