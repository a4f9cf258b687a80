// The `coffer` CLI against a running dev server, run as a user would, reading
// dev-credentials.json (CONTRACT.md "CLI"): vaults and deleted vaults (ARM plane), role
// definitions and assignments, principals, subscriptions, the audit log, the dev clock, and the
// exit codes (0 success, 1 with `ERROR: <server message>` on a refusal, 2 on a usage error).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startServer } from '../support/server.mjs';
import {
  cli, cliJson, expectRefusal, expectUsageError,
} from '../support/cli.mjs';
import { SecretClient } from '@azure/keyvault-secrets';
import {
  credentialFor, expectRestError, pollUntil, secretClient, uniqueName, vaultUrl,
} from '../support/azure.mjs';

const SECRETS_USER = '4633458b-17de-408a-b874-0445c86b69e6';  // Azure's "Key Vault Secrets User"

let server;
before(async () => { server = await startServer(); });
after(async () => { await server?.stop(); });

describe('coffer vault', () => {
  test('update switches the permission model and turns purge protection on; retention is fixed', async () => {
    const name = uniqueName('cliupd');
    await cliJson('vault', 'create', '--name', name, '--data-dir', server.dataDir);
    const model = await cliJson('vault', 'update', '--name', name, '--enable-rbac-authorization', 'false',
      '--data-dir', server.dataDir);
    assert.equal(model.properties.enableRbacAuthorization, false);
    const guarded = await cliJson('vault', 'update', '--name', name, '--enable-purge-protection', 'true',
      '--enable-rbac-authorization', 'true', '--data-dir', server.dataDir);
    assert.equal(guarded.properties.enablePurgeProtection, true);
    assert.equal(guarded.properties.enableRbacAuthorization, true);
    await expectRefusal(['vault', 'update', '--name', name, '--retention-days', '30', '--data-dir', server.dataDir],
      /cannot be changed|retention/i);
    await expectRefusal(['vault', 'update', '--name', name, '--enable-purge-protection', 'false',
      '--data-dir', server.dataDir], /purge protection/i);
    await expectUsageError(['vault', 'update', '--name', name, '--enable-purge-protection', 'maybe',
      '--data-dir', server.dataDir]);
  });

  test('create, show, list and delete a vault; the vault then serves secrets', async () => {
    const name = uniqueName('cli');
    const created = await cliJson('vault', '--data-dir', server.dataDir, 'create', '--name', name,
      '--location', 'westus', '--retention-days', '7');
    assert.equal(created.name, name);
    assert.equal(created.location, 'westus');
    assert.equal(created.properties.softDeleteRetentionInDays, 7);
    assert.equal(new URL(created.properties.vaultUri).host, `${name}.vault.localhost:${server.port}`);

    // Found by its name alone, or with its resource group; --data-dir may follow the command.
    const shown = await cliJson('vault', 'show', '--name', name, '--data-dir', server.dataDir);
    assert.equal(shown.id, created.id);
    const byGroup = await cliJson('vault', 'show', '-g', 'coffer-dev', '-n', name, '--data-dir', server.dataDir);
    assert.equal(byGroup.id, created.id);

    const listed = await cliJson('vault', 'list', '--data-dir', server.dataDir);
    assert.ok(Array.isArray(listed), 'a list prints the value array, as az does');
    assert.ok(listed.some((v) => v.name === name), 'the new vault is listed');
    assert.ok(listed.some((v) => v.name === 'dev'), 'the dev vault is listed');

    const client = new SecretClient(vaultUrl(server, name), credentialFor(server.creds));
    await client.setSecret('from-cli-vault', 'v');
    assert.equal((await client.getSecret('from-cli-vault')).value, 'v');

    await cli('vault', '--data-dir', server.dataDir, 'delete', '--name', name);
    await expectRefusal(['vault', '--data-dir', server.dataDir, 'show', '--name', name], /vault '[^']+' was not found/);
    await expectRefusal(['vault', '--data-dir', server.dataDir, 'show', '-g', 'coffer-dev', '--name', name]);
  });

  test('delete, list-deleted, recover (with its secrets), delete again and purge', async () => {
    const name = uniqueName('clirec');
    const created = await cliJson('vault', 'create', '--name', name, '--location', 'westeurope',
      '--retention-days', '7', '--data-dir', server.dataDir);
    await new SecretClient(vaultUrl(server, name), credentialFor(server.creds)).setSecret('kept', 'value-1');
    await cli('vault', 'delete', '--name', name, '--data-dir', server.dataDir);

    const deleted = await cliJson('vault', 'list-deleted', '--data-dir', server.dataDir);
    assert.ok(Array.isArray(deleted));
    const entry = deleted.find((v) => v.name === name);
    assert.ok(entry, `${name} is listed as deleted: ${JSON.stringify(deleted)}`);
    assert.equal(entry.properties.vaultId, created.id);
    assert.equal(entry.properties.location, 'westeurope');

    const recovered = await cliJson('vault', 'recover', '--name', name, '--data-dir', server.dataDir);
    assert.equal(recovered.id, created.id);
    assert.equal(recovered.location, 'westeurope');
    const shown = await cliJson('vault', 'show', '--name', name, '--data-dir', server.dataDir);
    assert.equal(shown.id, created.id);
    const again = new SecretClient(vaultUrl(server, name), credentialFor(server.creds));
    assert.equal((await again.getSecret('kept')).value, 'value-1', 'recover brings the objects back');
    assert.ok(!(await cliJson('vault', 'list-deleted', '--data-dir', server.dataDir)).some((v) => v.name === name));

    await cli('vault', 'delete', '--name', name, '--data-dir', server.dataDir);
    const purged = await cli('vault', 'purge', '--name', name, '--data-dir', server.dataDir);
    assert.equal(purged.stdout, '', 'purge prints nothing, as az does');
    const after = await cliJson('vault', 'list-deleted', '--data-dir', server.dataDir);
    assert.ok(!after.some((v) => v.name === name), `${name} is gone: ${JSON.stringify(after)}`);
    await expectRefusal(['vault', 'recover', '--name', name, '--data-dir', server.dataDir], /deleted vault '[^']+' was not found/);
  });

  test('purge with an explicit --location and --subscription skips the lookup', async () => {
    const name = uniqueName('clipurge');
    await cli('vault', 'create', '--name', name, '--location', 'northeurope', '--data-dir', server.dataDir);
    await cli('vault', 'delete', '--name', name, '--data-dir', server.dataDir);
    await expectRefusal(['vault', 'purge', '--name', name, '--location', 'westus', '--data-dir', server.dataDir]);
    await cli('vault', 'purge', '--name', name, '--location', 'northeurope',
      '--subscription', server.creds.subscriptions[0], '--data-dir', server.dataDir);
    const deleted = await cliJson('vault', 'list-deleted', '--subscription', server.creds.subscriptions[0],
      '--data-dir', server.dataDir);
    assert.ok(!deleted.some((v) => v.name === name));
  });

  test('bad input is refused with the server\'s message and exit 1', async () => {
    await expectRefusal(['vault', '--data-dir', server.dataDir, 'create', '--name', 'a--b'], /name/i);
    await expectRefusal(['vault', '--data-dir', server.dataDir, 'create', '--name', uniqueName('cli'),
      '--location', 'mars'], /location/i);
    await expectRefusal(['vault', '--data-dir', '/nonexistent', 'list'], /dev-credentials\.json/);
    await expectRefusal(['vault', 'list', '--subscription', randomUUID(), '--data-dir', server.dataDir],
      /subscription/i);
  });
});

describe('coffer role', () => {
  test('definition list --name finds Key Vault Secrets User by its Azure GUID', async () => {
    const found = await cliJson('role', 'definition', 'list', '--name', 'Key Vault Secrets User',
      '--data-dir', server.dataDir);
    assert.equal(found.length, 1, JSON.stringify(found));
    assert.equal(found[0].name, SECRETS_USER);
    assert.equal(found[0].properties.roleName, 'Key Vault Secrets User');
    assert.equal(found[0].id,
      `/subscriptions/${server.creds.subscriptions[0]}/providers/Microsoft.Authorization/roleDefinitions/${SECRETS_USER}`);
    const all = await cliJson('role', '--data-dir', server.dataDir, 'definition', 'list');
    assert.ok(all.length >= 17, `the built-in roles: ${all.length}`);
    assert.ok(all.some((d) => d.properties.roleName === 'Key Vault Purge Operator'));
  });

  test('assignment create on a vault grants a principal its data actions; list and delete', async () => {
    const principal = await cliJson('principal', 'create', '--display-name', uniqueName('cli-sp'),
      '--data-dir', server.dataDir);
    const secretName = uniqueName('granted');
    await secretClient(server).setSecret(secretName, 'for-the-principal');
    const asPrincipal = new SecretClient(vaultUrl(server, 'dev'),
      credentialFor({ ...server.creds, clientId: principal.clientId }, principal.clientSecret));
    await expectRestError(asPrincipal.getSecret(secretName), 403);

    // The role name is matched without regard to case, as az does.
    const created = await cliJson('role', 'assignment', 'create', '--assignee', principal.objectId,
      '--role', 'key vault secrets user', '--vault-name', 'dev', '--data-dir', server.dataDir);
    const devScope = `/subscriptions/${server.creds.subscriptions[0]}/resourceGroups/coffer-dev/providers/Microsoft.KeyVault/vaults/dev`;
    assert.equal(created.properties.scope.toLowerCase(), devScope.toLowerCase());
    assert.equal(created.properties.principalId, principal.objectId);
    assert.equal(created.properties.principalType, 'ServicePrincipal');
    assert.ok(created.properties.roleDefinitionId.endsWith(`/roleDefinitions/${SECRETS_USER}`));
    assert.match(created.name, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal((await asPrincipal.getSecret(secretName)).value, 'for-the-principal');

    const listed = await cliJson('role', 'assignment', 'list', '--assignee', principal.objectId,
      '--data-dir', server.dataDir);
    assert.deepEqual(listed.map((a) => a.id), [created.id]);
    const atVault = await cliJson('role', 'assignment', 'list', '--vault-name', 'dev',
      '--role', 'Key Vault Secrets User', '--data-dir', server.dataDir);
    assert.ok(atVault.some((a) => a.id === created.id));

    const removed = await cliJson('role', 'assignment', 'delete', '--assignee', principal.objectId,
      '--role', 'Key Vault Secrets User', '--vault-name', 'dev', '--data-dir', server.dataDir);
    assert.deepEqual(removed.map((a) => a.id), [created.id]);
    assert.deepEqual(await cliJson('role', 'assignment', 'list', '--assignee', principal.objectId,
      '--data-dir', server.dataDir), []);
    await expectRestError(asPrincipal.getSecret(secretName), 403);
    await expectRefusal(['role', 'assignment', 'delete', '--assignee', principal.objectId,
      '--data-dir', server.dataDir], /no role assignment matches/);
  });

  test('assignment by role GUID at a secret scope, deleted by --ids', async () => {
    const principal = await cliJson('principal', 'create', '--display-name', uniqueName('cli-sp'),
      '--data-dir', server.dataDir);
    const created = await cliJson('role', 'assignment', 'create', '--assignee', principal.objectId,
      '--role', SECRETS_USER, '--vault-name', 'dev', '--secret', 'only-this', '--data-dir', server.dataDir);
    assert.ok(created.properties.scope.toLowerCase().endsWith('/vaults/dev/secrets/only-this'),
      created.properties.scope);
    const sub = await cliJson('role', 'assignment', 'create', '--assignee', principal.objectId,
      '--role', 'Key Vault Reader', '--data-dir', server.dataDir);
    assert.equal(sub.properties.scope, `/subscriptions/${server.creds.subscriptions[0]}`);
    const both = await cliJson('role', 'assignment', 'list', '--assignee', principal.objectId,
      '--data-dir', server.dataDir);
    assert.deepEqual(both.map((a) => a.id).sort(), [created.id, sub.id].sort());

    const removed = await cliJson('role', 'assignment', 'delete', '--ids', created.id, sub.id,
      '--data-dir', server.dataDir);
    assert.equal(removed.length, 2);
    assert.deepEqual(await cliJson('role', 'assignment', 'list', '--assignee', principal.objectId,
      '--data-dir', server.dataDir), []);
    await expectRefusal(['role', 'assignment', 'delete', '--ids', created.id, '--data-dir', server.dataDir]);
  });

  test('an unknown principal or role is refused with exit 1 and ERROR: on stderr', async () => {
    const ghost = randomUUID();
    await expectRefusal(['role', 'assignment', 'create', '--assignee', ghost, '--role', 'Key Vault Secrets User',
      '--vault-name', 'dev', '--data-dir', server.dataDir], new RegExp(ghost));
    await expectRefusal(['role', 'assignment', 'create', '--assignee', ghost, '--role', 'Vault Emperor',
      '--data-dir', server.dataDir], /Role 'Vault Emperor' doesn't exist/);
    await expectRefusal(['role', 'assignment', 'create', '--assignee', ghost, '--role', 'Key Vault Reader',
      '--vault-name', uniqueName('novault'), '--data-dir', server.dataDir], /vault '[^']+' was not found/);
  });
});

describe('exit codes', () => {
  test('usage errors exit 2 for every command; --help exits 0', async () => {
    const d = ['--data-dir', server.dataDir];
    await expectUsageError([]);
    await expectUsageError(['no-such-command']);
    await expectUsageError(['vault', 'create', ...d], /--name/);
    await expectUsageError(['vault', 'list', '--bogus', ...d], /--bogus/);
    await expectUsageError(['vault', 'purge', ...d], /--name/);
    await expectUsageError(['role', 'assignment', 'create', '--role', 'Owner', ...d], /--assignee/);
    await expectUsageError(['role', 'assignment', 'create', '--assignee', randomUUID(), '--role', 'Owner',
      '--secret', 's', ...d], /--vault-name/);
    await expectUsageError(['role', 'assignment', 'list', '--scope', '/subscriptions/x', '--vault-name', 'dev', ...d]);
    await expectUsageError(['role', 'assignment', 'delete', ...d], /--ids/);
    await expectUsageError(['role', 'assignment', 'delete', '--ids', '/subscriptions/x', ...d]);
    await expectUsageError(['role', 'definition', 'list', '--bogus', ...d]);
    await expectUsageError(['principal', 'create', ...d], /--display-name/);
    await expectUsageError(['subscription', 'nope', ...d]);
    await expectUsageError(['audit', 'tail', '-n', 'many', ...d]);
    await expectUsageError(['dev', 'time-shift', '--minutes', '3', ...d]);
    await expectUsageError(['operator', 'unseal']);
    const help = await cli('role', 'assignment', 'create', '--help');
    assert.match(help.stdout, /--assignee/);
  });
});

describe('coffer principal and subscription', () => {
  test('principal create, list, show, secret add and delete', async () => {
    const name = uniqueName('cli-principal');
    const created = await cliJson('principal', 'create', '--display-name', name, '--data-dir', server.dataDir);
    assert.equal(created.displayName, name);
    assert.equal(created.tenantId, server.creds.tenantId);
    assert.ok(created.clientSecret, 'the secret is shown once, at creation');

    const listed = await cliJson('principal', 'list', '--data-dir', server.dataDir);
    const entry = listed.find((p) => p.objectId === created.objectId);
    assert.ok(entry, 'the new principal is listed');
    assert.equal(entry.clientSecret, undefined);
    assert.equal((await cliJson('principal', 'show', '--id', created.objectId, '--data-dir', server.dataDir)).clientId,
      created.clientId);
    const added = await cliJson('principal', 'secret', 'add', '--id', created.objectId, '--data-dir', server.dataDir);
    assert.ok(added.clientSecret && added.keyId);

    await cli('principal', 'delete', '--id', created.objectId, '--data-dir', server.dataDir);
    await expectRefusal(['principal', 'show', '--id', created.objectId, '--data-dir', server.dataDir]);
  });

  test('subscription create prints its id; list shows the subscriptions the caller holds roles in', async () => {
    const name = uniqueName('cli-sub');
    const created = await cliJson('subscription', 'create', '--display-name', name, '--data-dir', server.dataDir);
    assert.equal(created.displayName, name);
    assert.match(created.subscriptionId, /^[0-9a-f-]{36}$/);
    const listed = await cliJson('subscription', 'list', '--data-dir', server.dataDir);
    for (const sub of server.creds.subscriptions) {
      assert.ok(listed.some((s) => s.subscriptionId === sub), `dev subscription ${sub} is listed`);
    }
  });
});

describe('coffer audit tail', () => {
  test('prints the last audit lines as JSON; --vault filters', async () => {
    const secret = uniqueName('audited');
    await secretClient(server).setSecret(secret, 'never-in-the-log');
    await cli('vault', 'list', '--data-dir', server.dataDir);

    const all = (await cli('audit', 'tail', '--data-dir', server.dataDir, '-n', '50')).stdout
      .split('\n').filter(Boolean).map((l) => JSON.parse(l));
    assert.ok(all.length > 0);
    assert.ok(all.some((l) => l.plane === 'management'), 'the vault list is audited');
    assert.ok(all.some((l) => l.vault === 'dev' && l.object?.name === secret), 'the secret set is audited');

    const dev = (await cli('audit', 'tail', '--vault', 'DEV', '--data-dir', server.dataDir)).stdout
      .split('\n').filter(Boolean).map((l) => JSON.parse(l));
    assert.ok(dev.length > 0);
    assert.ok(dev.every((l) => l.vault === 'dev'), JSON.stringify(dev));
    assert.ok(!JSON.stringify(all).includes('never-in-the-log'));
  });
});

describe('coffer dev time-shift', () => {
  test('moving the clock past the retention purges a soft-deleted secret', async () => {
    const client = secretClient(server);
    const name = uniqueName('tshift');
    await client.setSecret(name, 'gone-soon');
    await (await client.beginDeleteSecret(name)).pollUntilDone();
    assert.equal((await client.getDeletedSecret(name)).name, name);

    const out = await cliJson('dev', 'time-shift', '--days', '91', '--data-dir', server.dataDir);
    assert.ok(out.offsetSeconds >= 91 * 86400, JSON.stringify(out));
    await pollUntil(async () => {
      try { await client.getDeletedSecret(name); return false; } catch (err) { return err.statusCode === 404; }
    }, { timeoutMs: 15_000, what: 'the sweeper to purge the secret' });
  });
});
