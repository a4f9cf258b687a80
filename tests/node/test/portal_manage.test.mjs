// The portal's management pages in a real browser (CONTRACT.md "Portal"; portal.test.mjs has
// sign-in, objects and backups): a vault's Access control tab lists its role assignments, adds
// one for a principal (the principal can then read a secret) and removes it, a duplicate shows
// the server's own refusal, and an owner who may not list principals types an object id; tags
// and dates (nbf/exp) of a secret's and a key's version and a certificate's tags are edited (a
// managed secret's refusal is the server's message); the Secrets tab pages with maxresults and
// nextLink and searches across pages; whole-vault restore into a non-empty vault shows the
// server's 409 and a restore of selected objects reports a name in use; a foreign file shows the
// server's 400 and one over the cap is refused before sending; under purge protection deleted
// secrets and vaults show Recover and their scheduled purge date, never Purge; and the keyboard
// alone at 1366x768 adds a role assignment, pages and edits tags. Screenshots go to
// tests/node/.artifacts/portal/. Skipped only when /usr/bin/chromium is absent.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ClientSecretCredential } from '@azure/identity';
import { CertificateClient } from '@azure/keyvault-certificates';
import { KeyClient } from '@azure/keyvault-keys';
import { SecretClient } from '@azure/keyvault-secrets';
import { startServer } from '../support/server.mjs';
import { rawRequest } from '../support/http.mjs';
import {
  createVault, credentialFor, dataToken, mgmtRequest, secretClient, uniqueName, vaultUrl,
} from '../support/azure.mjs';
import { ARTIFACTS, openBrowser, skip, tabTo, watch } from './portal_browser.mjs';

const ROLE_API = 'api-version=2022-04-01';
const SECRETS_USER = '4633458b-17de-408a-b874-0445c86b69e6';  // Key Vault Secrets User
const READER = '21090545-7ca7-4776-b22c-e363652d74d2';        // Key Vault Reader
const iso = (seconds) => new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');

describe('portal management pages in chromium', { skip }, () => {
  let server;
  let browser;
  let page;
  let problems;

  before(async () => {
    server = await startServer();
    ({ browser, page, problems } = await openBrowser(server));
    await page.goto(`https://localhost:${server.port}/portal/`);
    await page.getByRole('button', { name: 'Sign in with the dev client' }).click();
    await heading('Vaults').waitFor();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  const shot = (file) => page.screenshot({ path: path.join(ARTIFACTS, file), fullPage: true });
  const heading = (text, p = page) => p.getByRole('heading', { level: 1, name: text, exact: true });
  const alert = () => page.locator('#error');
  const notice = (text, p = page) => p.locator('#notice').getByText(text, { exact: true }).waitFor();
  const go = (hash) => page.evaluate((h) => { location.hash = h; }, hash);
  const rows = () => page.locator('table tbody tr');

  async function newPrincipal(displayName) {
    const res = await mgmtRequest(server, { method: 'POST', path: '/_coffer/principals', body: { displayName } });
    assert.equal(res.status, 201, res.body);
    return res.json;
  }
  const credential = (p) => new ClientSecretCredential(server.creds.tenantId, p.clientId, p.clientSecret,
    { authorityHost: server.creds.authorityHost, disableInstanceDiscovery: true });
  async function assignmentsOf(vaultId, principalId) {
    const res = await mgmtRequest(server, {
      path: `${vaultId}/providers/Microsoft.Authorization/roleAssignments?${ROLE_API}&$filter=${encodeURIComponent(`principalId eq '${principalId}'`)}`,
    });
    assert.equal(res.status, 200, res.body);
    return res.json.value;
  }

  test('Access control: lists the assignments, adds one, refuses a duplicate with the server\'s message, removes it', async () => {
    const vault = uniqueName('pacl');
    const made = await createVault(server, { name: vault, location: 'eastus' });
    await secretClient(server, vault).setSecret('shared', 'for-the-agent');
    const agent = await newPrincipal(uniqueName('agent'));
    const agentSecrets = new SecretClient(vaultUrl(server, vault), credential(agent));

    await go(`#/vault/${vault}/access`);
    await heading(`${vault}: Access control`).waitFor();
    // The dev client's Owner comes from its subscription.
    await page.locator('#assignments tr', { hasText: 'Owner' }).getByText(/^Inherited \(subscription /).first().waitFor();

    await page.getByRole('button', { name: 'Add role assignment' }).click();
    await page.getByLabel('Principal', { exact: true }).selectOption(agent.objectId);
    await page.getByLabel('Role', { exact: true }).selectOption({ label: 'Key Vault Secrets User' });
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await notice(`Assigned Key Vault Secrets User to ${agent.objectId} on ${vault}.`);
    const row = page.locator('#assignments tr', { hasText: agent.objectId });
    await row.getByText('Key Vault Secrets User', { exact: true }).waitFor();
    await row.getByText('This vault', { exact: true }).waitFor();
    await shot('access-control.png');
    const [assigned] = await assignmentsOf(made.id, agent.objectId);
    assert.equal(assigned.properties.scope, made.id);
    assert.ok(assigned.properties.roleDefinitionId.endsWith(SECRETS_USER));
    assert.equal((await agentSecrets.getSecret('shared')).value, 'for-the-agent');

    // The same principal and role again: the server's 409, word for word.
    const again = await mgmtRequest(server, {
      method: 'PUT',
      path: `${made.id}/providers/Microsoft.Authorization/roleAssignments/${crypto.randomUUID()}?${ROLE_API}`,
      body: { properties: { roleDefinitionId: assigned.properties.roleDefinitionId, principalId: agent.objectId } },
    });
    assert.equal(again.status, 409, again.body);
    await page.getByRole('button', { name: 'Add role assignment' }).click();
    await page.getByLabel('Principal', { exact: true }).selectOption(agent.objectId);
    await page.getByLabel('Role', { exact: true }).selectOption({ label: 'Key Vault Secrets User' });
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await alert().waitFor();
    assert.equal(await alert().textContent(), again.json.error.message);

    const label = `Key Vault Secrets User for ${agent.displayName}`;
    await page.getByRole('button', { name: `Remove ${label}` }).click();
    await page.getByRole('button', { name: `Confirm removal of ${label}` }).click();
    await notice(`Removed ${label}.`);
    assert.deepEqual(await assignmentsOf(made.id, agent.objectId), []);
    await assert.rejects(agentSecrets.getSecret('shared'), (e) => e.statusCode === 403);
  });

  test('Access control for an owner of the vault who may not list principals: the principal is typed by object id', async () => {
    const vault = uniqueName('powner');
    const made = await createVault(server, { name: vault, location: 'eastus' });
    const owner = await newPrincipal(uniqueName('owner'));
    const other = await newPrincipal(uniqueName('other'));
    const put = await mgmtRequest(server, {
      method: 'PUT', path: `${made.id}/providers/Microsoft.Authorization/roleAssignments/${crypto.randomUUID()}?${ROLE_API}`,
      body: { properties: { roleDefinitionId: '/providers/Microsoft.Authorization/roleDefinitions/8e3af657-a8ff-443c-a75c-2fe8c4bcb635', principalId: owner.objectId } },
    });
    assert.equal(put.status, 201, put.body);
    const p = await page.context().newPage();
    watch(p, problems);
    await p.goto(`https://localhost:${server.port}/portal/`);
    await p.getByLabel('Client id').fill(owner.clientId);
    await p.getByLabel('Client secret').fill(owner.clientSecret);
    await p.getByRole('button', { name: 'Sign in', exact: true }).click();
    await heading('Vaults', p).waitFor();
    await p.getByRole('link', { name: vault, exact: true }).click();
    await p.getByRole('tab', { name: 'Access control' }).click();
    await heading(`${vault}: Access control`, p).waitFor();
    await p.getByRole('button', { name: 'Add role assignment' }).click();
    await p.getByLabel('Principal', { exact: true }).fill(other.objectId);
    await p.getByLabel('Role', { exact: true }).selectOption({ label: 'Key Vault Reader' });
    await p.getByRole('button', { name: 'Add', exact: true }).click();
    await notice(`Assigned Key Vault Reader to ${other.objectId} on ${vault}.`, p);
    const [assigned] = await assignmentsOf(made.id, other.objectId);
    assert.ok(assigned.properties.roleDefinitionId.endsWith(READER));
    // An object id nobody has: the server's 400 naming it.
    await p.getByRole('button', { name: 'Add role assignment' }).click();
    await p.getByLabel('Principal', { exact: true }).fill('00000000-0000-0000-0000-000000000001');
    await p.getByRole('button', { name: 'Add', exact: true }).click();
    await p.locator('#error').getByText(/00000000-0000-0000-0000-000000000001/).waitFor();
    await p.close();
  });

  test('tags and dates of a secret\'s, a key\'s and a certificate\'s version; a bad tag and a managed secret are refused', async () => {
    const name = uniqueName('ptags');
    const set = await secretClient(server).setSecret(name, 'v1');
    await go(`#/vault/dev/secrets/${name}`);
    await heading(`Secret ${name}`).waitFor();
    const edit = () => page.getByRole('button', { name: `Edit tags and dates of version ${set.properties.version}` }).click();
    await edit();
    await page.getByLabel('Tags', { exact: true }).fill('env=prod\nteam=blue');
    await page.getByLabel('Not before (UTC)').fill('2026-01-02T03:04');
    await page.getByLabel('Expires (UTC)').fill('2030-05-06T07:08');
    await page.getByLabel('Content type', { exact: true }).fill('text/plain');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await notice(`Saved the tags and dates of version ${set.properties.version} of ${name}.`);
    await page.locator('#versions').getByText('env=prod, team=blue', { exact: true }).waitFor();
    await page.locator('#versions').getByText('2030-05-06T07:08:00Z', { exact: true }).waitFor();
    await shot('tags-and-dates.png');
    let props = (await secretClient(server).getSecret(name)).properties;
    assert.deepEqual(props.tags, { env: 'prod', team: 'blue' });
    assert.equal(props.notBefore.toISOString(), '2026-01-02T03:04:00.000Z');
    assert.equal(props.expiresOn.toISOString(), '2030-05-06T07:08:00.000Z');
    assert.equal(props.contentType, 'text/plain');

    // An emptied date is cleared; a tag without "=" is refused before anything is sent.
    await edit();
    await page.getByLabel('Expires (UTC)').fill('');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await notice(`Saved the tags and dates of version ${set.properties.version} of ${name}.`);
    props = (await secretClient(server).getSecret(name)).properties;
    assert.equal(props.expiresOn, undefined);
    assert.deepEqual(props.tags, { env: 'prod', team: 'blue' });
    await edit();
    await page.getByLabel('Tags', { exact: true }).fill('oops');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await alert().waitFor();
    assert.equal(await alert().textContent(), 'Tag "oops" is not name=value. Nothing was sent.');

    const keyName = uniqueName('ptagkey');
    const key = await new KeyClient(vaultUrl(server, 'dev'), credentialFor(server.creds)).createKey(keyName, 'EC');
    await go(`#/vault/dev/keys/${keyName}`);
    await heading(`Key ${keyName}`).waitFor();
    await page.getByRole('button', { name: `Edit tags and dates of version ${key.properties.version}` }).click();
    await page.getByLabel('Tags', { exact: true }).fill('owner=ops');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await notice(`Saved the tags and dates of version ${key.properties.version} of ${keyName}.`);
    assert.deepEqual((await new KeyClient(vaultUrl(server, 'dev'), credentialFor(server.creds)).getKey(keyName)).properties.tags,
      { owner: 'ops' });

    // A certificate's managed secret: the server's 403 is shown as it is.
    const cert = uniqueName('ptagcert');
    const certs = new CertificateClient(vaultUrl(server, 'dev'), credentialFor(server.creds));
    const made = await (await certs.beginCreateCertificate(cert, { issuerName: 'Self', subject: 'CN=tags.example' },
      { intervalInMs: 50 })).pollUntilDone();
    await go(`#/vault/dev/secrets/${cert}`);
    await heading(`Secret ${cert}`).waitFor();
    await page.getByRole('button', { name: `Edit tags and dates of version ${made.properties.version}` }).click();
    await page.getByLabel('Tags', { exact: true }).fill('x=y');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await alert().waitFor();
    assert.match(await alert().textContent(), /^Operation ".*" is not allowed as this object's lifetime is managed by Key Vault\.$/);
    // The certificate's own version takes tags (PATCH certificates/{name}/{version}).
    await go(`#/vault/dev/certificates/${cert}`);
    await heading(`Certificate ${cert}`).waitFor();
    await page.getByRole('button', { name: `Edit tags and dates of version ${made.properties.version}` }).click();
    await page.getByLabel('Tags', { exact: true }).fill('tier=web');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await notice(`Saved the tags and dates of version ${made.properties.version} of ${cert}.`);
    assert.deepEqual((await certs.getCertificate(cert)).properties.tags, { tier: 'web' });
  });

  let pagedVault;
  let pagedNames;
  test('Secrets tab pages with maxresults and nextLink, and a search finds a name on another page', async () => {
    pagedVault = uniqueName('ppage');
    await createVault(server, { name: pagedVault, location: 'eastus' });
    const client = secretClient(server, pagedVault);
    pagedNames = [];
    for (let i = 0; i < 7; i++) {
      pagedNames.push(`s${i}-${uniqueName('p')}`);
      await client.setSecret(pagedNames[i], `v${i}`);
    }
    await go(`#/vault/${pagedVault}/secrets`);
    await heading(`${pagedVault}: Secrets`).waitFor();
    assert.equal(await rows().count(), 7);
    await page.getByLabel('Per page').selectOption('5');
    await page.waitForFunction(() => document.querySelectorAll('table tbody tr').length === 5);  // drawn again
    await page.locator('#page-status').getByText('Page 1', { exact: true }).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Previous page' }).isDisabled(), true);
    await page.getByRole('button', { name: 'Next page' }).click();
    await page.locator('#page-status').getByText('Page 2', { exact: true }).waitFor();
    assert.equal(await rows().count(), 2);
    assert.equal(await page.getByRole('button', { name: 'Next page' }).isDisabled(), true);
    await shot('paging.png');
    const onPage2 = await rows().locator('a').allTextContents();
    await page.getByRole('button', { name: 'Previous page' }).click();
    await page.locator('#page-status').getByText('Page 1', { exact: true }).waitFor();
    assert.equal(await rows().count(), 5);
    // The search looks at every page.
    await page.getByLabel('Search secrets').fill(onPage2[1]);
    await page.getByRole('link', { name: onPage2[1], exact: true }).waitFor();
    assert.equal(await rows().count(), 1);
    assert.equal(await page.getByRole('group', { name: 'Pages' }).isVisible(), false);
    await page.getByLabel('Search secrets').fill('');
    await page.getByRole('group', { name: 'Pages' }).waitFor();
    assert.equal(await rows().count(), 5);
  });

  test('whole-vault restore into a non-empty vault shows the 409; selected objects restore and a name in use is reported', async () => {
    const src = uniqueName('psrc');
    const dst = uniqueName('pdst');
    await createVault(server, { name: src, location: 'eastus' });
    await createVault(server, { name: dst, location: 'westus' });
    await secretClient(server, src).setSecret('alpha', 'from-archive');
    await secretClient(server, src).setSecret('beta', 'from-archive');
    await secretClient(server, dst).setSecret('alpha', 'kept');
    await go(`#/vault/${src}/secrets`);
    await heading(`${src}: Secrets`).waitFor();
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Back up vault' }).click(),
    ]);
    const archive = path.join(ARTIFACTS, `selective-${download.suggestedFilename()}`);
    await download.saveAs(archive);

    await go(`#/vault/${dst}/secrets`);
    await heading(`${dst}: Secrets`).waitFor();
    const [chooser] = await Promise.all([
      page.waitForEvent('filechooser'),
      page.getByRole('button', { name: 'Restore vault' }).click(),
    ]);
    await chooser.setFiles(archive);
    await alert().waitFor();
    const refused = await rawRequest({
      port: server.port, host: `${dst}.vault.localhost`, method: 'PUT', path: '/restore?api-version=7.5',
      headers: { 'content-type': 'application/octet-stream' }, body: fs.readFileSync(archive),
      token: await dataToken(server),
    });
    assert.equal(refused.status, 409, refused.body);
    assert.equal(await alert().textContent(), refused.json.error.message);
    // The refusal opens the form for selected objects.
    assert.equal(await page.getByRole('button', { name: 'Restore selected objects' }).getAttribute('aria-expanded'), 'true');
    await page.getByLabel('Objects', { exact: true }).fill('secrets/nope!');
    await page.getByRole('button', { name: 'Choose archive and restore' }).click();
    await alert().getByText(/^"secrets\/nope!" is not an object/).waitFor();
    await page.getByLabel('Objects', { exact: true }).fill('secrets/alpha\nsecrets/beta');
    const [chooser2] = await Promise.all([
      page.waitForEvent('filechooser'),
      page.getByRole('button', { name: 'Choose archive and restore' }).click(),
    ]);
    await chooser2.setFiles(archive);
    await page.locator('#vault-progress').getByText(new RegExp(`^Restored 1 object into ${dst}\\. Not restored: secret alpha: `)).waitFor();
    await page.getByRole('link', { name: 'beta', exact: true }).waitFor();
    await shot('restore-selected.png');
    assert.equal((await secretClient(server, dst).getSecret('beta')).value, 'from-archive');
    assert.equal((await secretClient(server, dst).getSecret('alpha')).value, 'kept');
  });

  test('purge protection: deleted secrets and vaults show Recover and the scheduled purge date, never Purge', async () => {
    const vault = uniqueName('pprot');
    const made = await createVault(server, { name: vault, location: 'eastus', properties: { enablePurgeProtection: true } });
    const client = secretClient(server, vault);
    await client.setSecret('gone', 'x');
    await (await client.beginDeleteSecret('gone')).pollUntilDone();
    const deleted = await rawRequest({
      port: server.port, host: `${vault}.vault.localhost`, path: '/deletedsecrets/gone?api-version=7.5', token: await dataToken(server),
    });
    assert.equal(deleted.status, 200, deleted.body);

    await go(`#/vault/${vault}/secrets`);
    await heading(`${vault}: Secrets`).waitFor();
    await page.getByRole('button', { name: 'Deleted secrets' }).click();
    const row = page.locator('#deleted tr', { hasText: 'gone' });
    await row.getByRole('button', { name: 'Recover gone' }).waitFor();
    await row.getByText(iso(deleted.json.scheduledPurgeDate), { exact: true }).waitFor();
    await page.getByText('Purge protection is on', { exact: false }).waitFor();
    assert.equal(await page.getByRole('button', { name: /^Purge/ }).count(), 0);
    await shot('purge-protected.png');

    // The vault itself, deleted: Recover and its scheduled purge date, no Purge.
    const del = await mgmtRequest(server, { method: 'DELETE', path: `${made.id}?api-version=2026-02-01` });
    assert.ok(del.status === 200 || del.status === 204, del.body);
    await go('#/');
    await heading('Vaults').waitFor();
    await page.getByRole('button', { name: 'Deleted vaults' }).click();
    const vrow = page.locator('#deleted-vaults tr', { hasText: vault });
    await vrow.getByRole('button', { name: `Recover ${vault}` }).waitFor();
    assert.match(await vrow.locator('td').nth(3).textContent(), /^\d{4}-\d\d-\d\dT/);
    assert.equal(await page.getByRole('button', { name: `Purge ${vault}` }).count(), 0);
  });

  test('Restore Backup and Restore vault: a foreign file shows the server\'s 400, one over the cap is refused unsent; nothing changes', async () => {
    const vault = uniqueName('pbad');
    await createVault(server, { name: vault, location: 'eastus' });
    await secretClient(server, vault).setSecret('only', 'x');
    const foreign = path.join(ARTIFACTS, 'foreign.bin');
    fs.writeFileSync(foreign, crypto.randomBytes(300));
    const huge = path.join(ARTIFACTS, 'huge.bin');  // sparse: 300 MiB, over both caps
    fs.rmSync(huge, { force: true });
    fs.writeFileSync(huge, '');
    fs.truncateSync(huge, 300 * 1024 * 1024);
    const token = await dataToken(server);
    const host = `${vault}.vault.localhost`;
    const blobAnswer = await rawRequest({
      port: server.port, host, method: 'POST', path: '/secrets/restore?api-version=7.5', token,
      body: { value: fs.readFileSync(foreign).toString('base64url') },
    });
    const archiveAnswer = await rawRequest({
      port: server.port, host, method: 'PUT', path: '/restore?api-version=7.5', token,
      headers: { 'content-type': 'application/octet-stream' }, body: fs.readFileSync(foreign),
    });
    assert.equal(blobAnswer.status, 400, blobAnswer.body);
    assert.equal(archiveAnswer.status, 400, archiveAnswer.body);

    await go(`#/vault/${vault}/secrets`);
    await heading(`${vault}: Secrets`).waitFor();
    const upload = async (button, file) => {
      const [chooser] = await Promise.all([page.waitForEvent('filechooser'), page.getByRole('button', { name: button }).click()]);
      await chooser.setFiles(file);
      await alert().waitFor();
      return alert().textContent();
    };
    assert.equal(await upload('Restore Backup', foreign), blobAnswer.json.error.message);
    assert.equal(await upload('Restore vault', foreign), archiveAnswer.json.error.message);
    assert.match(await upload('Restore Backup', huge), /^huge\.bin is 314572800 bytes; a backup blob is at most 67108864 bytes\. Nothing was sent\.$/);
    assert.match(await upload('Restore vault', huge), /^huge\.bin is 314572800 bytes; a vault archive uploaded here is at most 268435456 bytes .*Nothing was sent\.$/);
    await shot('restore-refused.png');
    fs.rmSync(huge);
    const names = [];
    for await (const p of secretClient(server, vault).listPropertiesOfSecrets()) names.push(p.name);
    assert.deepEqual(names, ['only']);
  });

  test('keyboard alone at 1366x768: add a role assignment, page through secrets, edit tags', async () => {
    const kb = await page.context().newPage();
    watch(kb, problems);
    const agent = await newPrincipal(uniqueName('kbagent'));
    await kb.goto(`https://localhost:${server.port}/portal/`);
    await tabTo(kb, 'Sign in with the dev client');
    await kb.keyboard.press('Enter');
    await heading('Vaults', kb).waitFor();
    await tabTo(kb, pagedVault);
    await kb.keyboard.press('Enter');
    await heading(`${pagedVault}: Secrets`, kb).waitFor();

    await tabTo(kb, 'Access control');
    await kb.keyboard.press('Enter');
    await heading(`${pagedVault}: Access control`, kb).waitFor();
    await tabTo(kb, 'Add role assignment');
    await kb.keyboard.press('Enter');
    await kb.keyboard.type(agent.displayName);  // the focused principal list selects by typing
    await kb.keyboard.press('Tab');
    await kb.keyboard.type('Key Vault Reader');
    await tabTo(kb, 'Add');
    await kb.keyboard.press('Enter');
    await notice(`Assigned Key Vault Reader to ${agent.objectId} on ${pagedVault}.`, kb);
    const vaultId = (await mgmtRequest(server, { path: `/subscriptions/${server.creds.subscriptions[0]}/resourceGroups/rg1/providers/Microsoft.KeyVault/vaults/${pagedVault}?api-version=2026-02-01` })).json.id;
    const [assigned] = await assignmentsOf(vaultId, agent.objectId);
    assert.ok(assigned.properties.roleDefinitionId.endsWith(READER));

    await tabTo(kb, 'Secrets');
    await kb.keyboard.press('Enter');
    await heading(`${pagedVault}: Secrets`, kb).waitFor();
    await tabTo(kb, 'Per page');
    await kb.keyboard.type('5');
    await kb.waitForFunction(() => document.querySelectorAll('table tbody tr').length === 5);  // drawn again
    await kb.locator('#page-status').getByText('Page 1', { exact: true }).waitFor();
    await tabTo(kb, 'Next page');
    await kb.keyboard.press('Enter');
    await kb.locator('#page-status').getByText('Page 2', { exact: true }).waitFor();
    const name = (await kb.locator('table tbody tr a').allTextContents())[0];
    await tabTo(kb, name);
    await kb.keyboard.press('Enter');
    await heading(`Secret ${name}`, kb).waitFor();
    const version = (await secretClient(server, pagedVault).getSecret(name)).properties.version;
    await tabTo(kb, `Edit tags and dates of version ${version}`);
    await kb.keyboard.press('Enter');
    await kb.keyboard.type('by=keyboard');  // the Tags field has the focus
    await tabTo(kb, 'Save');
    await kb.keyboard.press('Enter');
    await notice(`Saved the tags and dates of version ${version} of ${name}.`, kb);
    assert.deepEqual((await secretClient(server, pagedVault).getSecret(name)).properties.tags, { by: 'keyboard' });
    await kb.close();
    assert.deepEqual(problems, []);
  });
});
