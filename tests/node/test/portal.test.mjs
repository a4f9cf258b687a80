// The portal in a real browser (CONTRACT.md "Portal"): playwright-core drives Debian's chromium
// headless against a real `coffer server --dev`. Sign in with the dev client, open the vault
// and a secret made through the REST API, Download Backup (the file lands and is a valid blob:
// the REST API restores it after a purge), delete and purge in the page, Restore Backup in the
// page, and into a second vault of the same geography (another geography shows the server's
// refusal); a whole vault is backed up with progress and restored into an empty vault; an empty
// file shows the server's message; a secret is created, given a new version, disabled and
// enabled, and keys (a size, a curve) and a certificate (validity, key, format) created from the
// page; the Keys tab backs up, deletes and recovers a key; the Certificates tab opens a
// certificate and downloads its backup, CER and PEM; a vault is created with the form, deleted,
// recovered and purged; the form signs in with a client id and secret (a wrong one shows the
// server's message); the keyboard alone at 1366x768 signs in, opens the vault and the secret and
// downloads its backup. Screenshots go to tests/node/.artifacts/portal/. portal_manage.test.mjs
// has access control, tags and dates, paging, selective restore and purge protection.
// Skipped only when /usr/bin/chromium is absent (scripts/deps.sh installs it).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { startServer } from '../support/server.mjs';
import { CertificateClient } from '@azure/keyvault-certificates';
import { KeyClient } from '@azure/keyvault-keys';
import { createVault, credentialFor, secretClient, uniqueName, vaultUrl } from '../support/azure.mjs';
import { ARTIFACTS, openBrowser, skip, tabTo as tabToOn } from './portal_browser.mjs';

describe('portal in chromium', { skip }, () => {
  let server;
  let browser;
  let page;
  let problems;
  const name = uniqueName('portal');
  const value = `portal-value-${crypto.randomBytes(6).toString('hex')}`;

  before(async () => {
    server = await startServer();
    ({ browser, page, problems } = await openBrowser(server));
    await secretClient(server).setSecret(name, value);
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  const shot = (file) => page.screenshot({ path: path.join(ARTIFACTS, file), fullPage: true });
  const heading = (text) => page.getByRole('heading', { level: 1, name: text, exact: true });
  const alert = () => page.locator('#error');
  const go = (hash) => page.evaluate((h) => { location.hash = h; }, hash);

  test('signs in with the dev client and lists the vaults', async () => {
    await page.goto(`https://localhost:${server.port}/portal/`);
    await shot('sign-in.png');
    await page.getByRole('button', { name: 'Sign in with the dev client' }).click();
    await heading('Vaults').waitFor();
    await page.getByRole('link', { name: 'dev', exact: true }).waitFor();
    await shot('vaults.png');
    // Tokens in memory only.
    assert.deepEqual(await page.evaluate(() => [localStorage.length, sessionStorage.length]), [0, 0]);
  });

  test('opens a secret; its value only on a click', async () => {
    await page.getByRole('link', { name: 'dev', exact: true }).click();
    await heading('dev: Secrets').waitFor();
    await shot('secrets.png');
    await page.getByRole('link', { name, exact: true }).click();
    await heading(`Secret ${name}`).waitFor();
    assert.equal(await page.getByText(value).count(), 0);
    await page.getByRole('button', { name: 'Show value' }).click();
    await page.getByText(value, { exact: true }).waitFor();
    await shot('secret.png');
  });

  let blobFile;
  test('Download Backup saves the blob, which the REST API restores after a purge', async () => {
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download Backup' }).click(),
    ]);
    const day = new Date().toISOString().slice(0, 10).replace(/-/g, '');
    assert.equal(download.suggestedFilename(), `dev-${name}-${day}.keyvault`);
    blobFile = path.join(ARTIFACTS, download.suggestedFilename());
    await download.saveAs(blobFile);
    const bytes = fs.readFileSync(blobFile);
    assert.ok(bytes.length > 16, 'the blob has content');

    // The raw bytes are the blob: base64url of them is what the REST API restores.
    const client = secretClient(server);
    await (await client.beginDeleteSecret(name)).pollUntilDone();
    await client.purgeDeletedSecret(name);
    const restored = await client.restoreSecretBackup(new Uint8Array(bytes));
    assert.equal(restored.name, name);
    assert.equal((await client.getSecret(name)).value, value);
  });

  test('delete and purge in the page, then Restore Backup shows the restored secret', async () => {
    await page.reload();
    await page.getByRole('button', { name: 'Sign in with the dev client' }).click();
    await heading(`Secret ${name}`).waitFor();
    await page.getByRole('button', { name: 'Delete', exact: true }).click();
    await page.getByRole('button', { name: `Confirm delete of ${name}` }).click();
    await heading('dev: Secrets').waitFor();
    await page.getByRole('button', { name: /Deleted/ }).click();
    await page.getByRole('button', { name: `Purge ${name}` }).click();
    await page.locator('#notice').getByText(`Purged secret ${name}.`).waitFor();
    await shot('deleted.png');

    const [chooser] = await Promise.all([
      page.waitForEvent('filechooser'),
      page.getByRole('button', { name: 'Restore Backup' }).click(),
    ]);
    await chooser.setFiles(blobFile);
    await heading(`Secret ${name}`).waitFor();
    await page.locator('#notice').getByText(`Restored secret ${name}`).waitFor();
    await shot('restored.png');
    assert.equal((await secretClient(server).getSecret(name)).value, value);
  });

  test('Restore Backup of an empty file shows the server\'s message', async () => {
    await page.getByRole('tab', { name: 'Secrets' }).click();
    await heading('dev: Secrets').waitFor();
    const empty = path.join(ARTIFACTS, 'empty.keyvault');
    fs.writeFileSync(empty, '');
    const [chooser] = await Promise.all([
      page.waitForEvent('filechooser'),
      page.getByRole('button', { name: 'Restore Backup' }).click(),
    ]);
    await chooser.setFiles(empty);
    await alert().waitFor();
    const text = await alert().textContent();
    assert.match(text, /\S/);
    assert.doesNotMatch(text, /Failed to fetch|undefined/);
    await shot('restore-error.png');
    assert.deepEqual(problems, []);
  });

  let west;
  test('Restore Backup into a second vault of the same geography; another geography is refused', async () => {
    west = uniqueName('west');
    const europe = uniqueName('europe');
    await createVault(server, { name: west, location: 'westus' });
    await createVault(server, { name: europe, location: 'westeurope' });
    const restoreInto = async (vault) => {
      await go(`#/vault/${vault}/secrets`);
      await heading(`${vault}: Secrets`).waitFor();
      const [chooser] = await Promise.all([
        page.waitForEvent('filechooser'),
        page.getByRole('button', { name: 'Restore Backup' }).click(),
      ]);
      await chooser.setFiles(blobFile);
    };
    await restoreInto(west);
    await heading(`Secret ${name}`).waitFor();
    assert.equal((await secretClient(server, west).getSecret(name)).value, value);

    await restoreInto(europe);
    await alert().waitFor();
    assert.match(await alert().textContent(), /geography/i);
    await shot('restore-geography.png');
    await page.getByText(`No secrets.`).waitFor();  // nothing was restored
  });

  test('whole-vault backup with progress, restored into an empty vault of the same geography', async () => {
    await go(`#/vault/${west}/secrets`);
    await heading(`${west}: Secrets`).waitFor();
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Back up vault' }).click(),
    ]);
    const day = new Date().toISOString().slice(0, 10).replace(/-/g, '');
    assert.equal(download.suggestedFilename(), `${west}-${day}.coffer-backup`);
    const archive = path.join(ARTIFACTS, download.suggestedFilename());
    await download.saveAs(archive);
    await page.locator('#vault-progress').getByText(/^Backed up 1 object \(/).waitFor();
    await shot('vault-backup.png');

    const empty = uniqueName('east');
    await createVault(server, { name: empty, location: 'eastus2' });
    await go(`#/vault/${empty}/secrets`);
    await heading(`${empty}: Secrets`).waitFor();
    const [chooser] = await Promise.all([
      page.waitForEvent('filechooser'),
      page.getByRole('button', { name: 'Restore vault' }).click(),
    ]);
    await chooser.setFiles(archive);
    await page.locator('#vault-progress').getByText(`Restored 1 object into ${empty}.`).waitFor();
    await page.getByRole('link', { name, exact: true }).waitFor();
    assert.equal((await secretClient(server, empty).getSecret(name)).value, value);
  });

  test('new secret, new version, disable and enable it; new RSA 3072 and EC P-384 keys; new certificate with its choices', async () => {
    const s2 = uniqueName('pnew');
    await go('#/vault/dev/secrets');
    await heading('dev: Secrets').waitFor();
    await page.getByRole('button', { name: 'New secret' }).click();
    await page.getByLabel('Name', { exact: true }).fill(s2);
    await page.getByLabel('Value', { exact: true }).fill('one');
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    await heading(`Secret ${s2}`).waitFor();
    await page.getByRole('button', { name: 'New version' }).click();
    await page.getByLabel('Value', { exact: true }).fill('two');
    await page.getByRole('button', { name: 'Save version' }).click();
    await page.locator('#notice').getByText(`Saved a new version of ${s2}.`).waitFor();
    assert.equal(await page.locator('table tbody tr').count(), 2);
    assert.equal((await secretClient(server).getSecret(s2)).value, 'two');
    await page.getByRole('button', { name: 'Disable', exact: true }).click();
    await page.locator('#notice').getByText(`Disabled the latest version of ${s2}.`).waitFor();
    await page.getByRole('button', { name: 'Enable', exact: true }).waitFor();
    await assert.rejects(secretClient(server).getSecret(s2), (e) => e.statusCode === 403);  // the latest
    await shot('secret-disabled.png');
    await page.getByRole('button', { name: 'Enable', exact: true }).click();
    await page.locator('#notice').getByText(`Enabled the latest version of ${s2}.`).waitFor();
    assert.equal((await secretClient(server).getSecret(s2)).value, 'two');

    const k2 = uniqueName('pnewkey');
    await go('#/vault/dev/keys');
    await heading('dev: Keys').waitFor();
    await page.getByRole('button', { name: 'New key' }).click();
    await page.getByLabel('Name', { exact: true }).fill(k2);
    await page.getByLabel('Key type', { exact: true }).selectOption('RSA');
    await page.getByLabel('RSA key size', { exact: true }).selectOption('3072');
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    await heading(`Key ${k2}`).waitFor();
    await page.getByText('RSA', { exact: true }).waitFor();
    const keys = new KeyClient(vaultUrl(server, 'dev'), credentialFor(server.creds));
    assert.equal((await keys.getKey(k2)).key.n.length, 384);  // 3072 bits
    const k3 = uniqueName('pnewec');
    await go('#/vault/dev/keys');
    await heading('dev: Keys').waitFor();
    await page.getByRole('button', { name: 'New key' }).click();
    await page.getByLabel('Name', { exact: true }).fill(k3);
    await page.getByLabel('EC curve', { exact: true }).selectOption('P-384');
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    await heading(`Key ${k3}`).waitFor();
    assert.equal((await keys.getKey(k3)).key.crv, 'P-384');

    const c2 = uniqueName('pnewcert');
    await go('#/vault/dev/certificates');
    await heading('dev: Certificates').waitFor();
    await page.getByRole('button', { name: 'New certificate' }).click();
    await page.getByLabel('Name', { exact: true }).fill(c2);
    await page.getByLabel('Subject', { exact: true }).fill('CN=new.example');
    await page.getByLabel('Validity (months)', { exact: true }).fill('6');
    await page.getByLabel('Key', { exact: true }).selectOption({ label: 'EC P-384' });
    await page.getByLabel('Secret format', { exact: true }).selectOption({ label: 'PEM' });
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    await heading(`Certificate ${c2}`).waitFor();
    const certs = new CertificateClient(vaultUrl(server, 'dev'), credentialFor(server.creds));
    const op = await certs.getCertificateOperation(c2, { intervalInMs: 50 });
    await op.pollUntilDone();
    const policy = await certs.getCertificatePolicy(c2);
    assert.equal(policy.subject, 'CN=new.example');
    assert.equal(policy.validityInMonths, 6);
    assert.equal(policy.keyCurveName, 'P-384');
    assert.equal(policy.contentType, 'application/x-pem-file');
  });

  test('Keys tab: open a key, Download Backup, delete it and Recover it from the deleted list', async () => {
    const keyName = uniqueName('pkey');
    await new KeyClient(vaultUrl(server, 'dev'), credentialFor(server.creds)).createKey(keyName, 'EC');
    await go('#/vault/dev/keys');
    await heading('dev: Keys').waitFor();
    await page.getByRole('link', { name: keyName, exact: true }).click();
    await heading(`Key ${keyName}`).waitFor();
    await page.getByText('EC', { exact: true }).waitFor();  // its key type
    await shot('key.png');
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download Backup' }).click(),
    ]);
    assert.match(download.suggestedFilename(), new RegExp(`^dev-${keyName}-\\d{8}\\.keyvault$`));
    await page.getByRole('button', { name: 'Delete', exact: true }).click();
    await page.getByRole('button', { name: `Confirm delete of ${keyName}` }).click();
    await heading('dev: Keys').waitFor();
    await page.getByRole('button', { name: /Deleted/ }).click();
    await page.getByRole('button', { name: `Recover ${keyName}` }).click();
    await page.locator('#notice').getByText(`Recovered key ${keyName}.`).waitFor();
    await page.getByRole('link', { name: keyName, exact: true }).waitFor();
  });

  test('Certificates tab: open a certificate, Download Backup, CER and PEM', async () => {
    const certName = uniqueName('pcert');
    const certs = new CertificateClient(vaultUrl(server, 'dev'), credentialFor(server.creds));
    await (await certs.beginCreateCertificate(certName, { issuerName: 'Self', subject: 'CN=portal.example' },
      { intervalInMs: 50 })).pollUntilDone();
    await go('#/vault/dev/certificates');
    await heading('dev: Certificates').waitFor();
    await page.getByRole('link', { name: certName, exact: true }).click();
    await heading(`Certificate ${certName}`).waitFor();
    await page.getByText('Thumbprint', { exact: true }).waitFor();
    await shot('certificate.png');
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download Backup' }).click(),
    ]);
    assert.match(download.suggestedFilename(), new RegExp(`^dev-${certName}-\\d{8}\\.keyvault$`));
    const [cer] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download CER' }).click(),
    ]);
    assert.equal(cer.suggestedFilename(), `${certName}.cer`);
    const der = fs.readFileSync(await cer.path());
    const [pem] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download PEM' }).click(),
    ]);
    assert.equal(pem.suggestedFilename(), `${certName}.pem`);
    const pemText = fs.readFileSync(await pem.path(), 'utf8');
    const x509 = new crypto.X509Certificate(der);
    assert.match(x509.subject, /CN=portal\.example/);
    assert.equal(new crypto.X509Certificate(pemText).fingerprint256, x509.fingerprint256);
  });

  test('signs in with a client id and secret typed into the form', async () => {
    const other = await page.context().newPage();
    await other.goto(`https://localhost:${server.port}/portal/`);
    await other.getByLabel('Client id').fill(server.creds.clientId);
    await other.getByLabel('Client secret').fill(server.creds.clientSecret);
    await other.getByRole('button', { name: 'Sign in', exact: true }).click();
    await other.getByRole('heading', { level: 1, name: 'Vaults', exact: true }).waitFor();
    await other.close();
    const wrong = await page.context().newPage();
    await wrong.goto(`https://localhost:${server.port}/portal/`);
    await wrong.getByLabel('Client id').fill(server.creds.clientId);
    await wrong.getByLabel('Client secret').fill('not-the-secret');
    await wrong.getByRole('button', { name: 'Sign in', exact: true }).click();
    await wrong.locator('#error').waitFor();
    assert.match(await wrong.locator('#error').textContent(), /\S/);
    await wrong.close();
  });

  test('Vaults: create one with the form, delete it, Recover it and Purge it from Deleted vaults', async () => {
    const v = uniqueName('pv');
    const notice = (text) => page.locator('#notice').getByText(text, { exact: true }).waitFor();
    const deleteVault = async () => {
      await page.getByRole('link', { name: v, exact: true }).click();
      await heading(`${v}: Secrets`).waitFor();
      await page.getByRole('button', { name: 'Delete vault' }).click();
      await page.getByRole('button', { name: `Confirm delete of vault ${v}` }).click();
      await notice(`Deleted vault ${v}.`);
      await heading('Vaults').waitFor();
    };
    await go('#/');
    await heading('Vaults').waitFor();
    await page.getByRole('button', { name: 'Create vault' }).click();
    await page.getByLabel('Name', { exact: true }).fill(v);
    await page.getByLabel('Region', { exact: true }).fill('westus');
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    await notice(`Created vault ${v}.`);
    await shot('vault-created.png');
    await deleteVault();
    await page.getByRole('button', { name: 'Deleted vaults' }).click();
    await shot('deleted-vaults.png');
    await page.getByRole('button', { name: `Recover ${v}` }).click();
    await notice(`Recovered vault ${v}.`);
    await deleteVault();
    await page.getByRole('button', { name: 'Deleted vaults' }).click();
    await page.getByRole('button', { name: `Purge ${v}` }).click();
    await notice(`Purged vault ${v}.`);
    await page.getByRole('button', { name: 'Deleted vaults' }).click();
    assert.equal(await page.getByRole('button', { name: `Recover ${v}` }).count(), 0);
  });

  test('keyboard alone at 1366x768: sign in, open the vault and the secret, Download Backup', async () => {
    const kb = await page.context().newPage();
    const tabTo = (text) => tabToOn(kb, text);
    await kb.goto(`https://localhost:${server.port}/portal/`);
    await tabTo('Sign in with the dev client');
    await kb.keyboard.press('Enter');
    await kb.getByRole('heading', { level: 1, name: 'Vaults', exact: true }).waitFor();
    await tabTo('dev');
    await kb.keyboard.press('Enter');
    await kb.getByRole('heading', { level: 1, name: 'dev: Secrets', exact: true }).waitFor();
    await tabTo(name);
    await kb.keyboard.press('Enter');
    await kb.getByRole('heading', { level: 1, name: `Secret ${name}`, exact: true }).waitFor();
    await tabTo('Download Backup');
    const [download] = await Promise.all([kb.waitForEvent('download'), kb.keyboard.press('Enter')]);
    assert.match(download.suggestedFilename(), new RegExp(`^dev-${name}-\\d{8}\\.keyvault$`));
    await kb.close();
  });
});
