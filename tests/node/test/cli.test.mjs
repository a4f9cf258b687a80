// The `coffer` CLI against a running dev server: vault create/show/list/delete (ARM plane) and
// the dev clock (DESIGN.md §2 "Dev clock"), run as a user would, reading dev-credentials.json.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { cofferBin, startServer } from '../support/server.mjs';
import { SecretClient } from '@azure/keyvault-secrets';
import { credentialFor, pollUntil, secretClient, uniqueName, vaultUrl } from '../support/azure.mjs';

const run = promisify(execFile);

let server;
const cli = (...args) => run(cofferBin(), args, { timeout: 30_000 });

before(async () => { server = await startServer(); });
after(async () => { await server?.stop(); });

describe('coffer vault', () => {
  test('create, show, list and delete a vault; the vault then serves secrets', async () => {
    const name = uniqueName('cli');
    const created = JSON.parse((await cli('vault', '--data-dir', server.dataDir, 'create', '--name', name,
      '--location', 'westus', '--retention-days', '7')).stdout);
    assert.equal(created.name, name);
    assert.equal(created.location, 'westus');
    assert.equal(created.properties.softDeleteRetentionInDays, 7);
    assert.equal(new URL(created.properties.vaultUri).host, `${name}.vault.localhost:${server.port}`);

    const shown = JSON.parse((await cli('vault', '--data-dir', server.dataDir, 'show', '--name', name)).stdout);
    assert.equal(shown.id, created.id);

    const listed = JSON.parse((await cli('vault', '--data-dir', server.dataDir, 'list')).stdout);
    assert.ok(listed.value.some((v) => v.name === name), 'the new vault is listed');
    assert.ok(listed.value.some((v) => v.name === 'dev'), 'the dev vault is listed');

    const client = new SecretClient(vaultUrl(server, name), credentialFor(server.creds));
    await client.setSecret('from-cli-vault', 'v');
    assert.equal((await client.getSecret('from-cli-vault')).value, 'v');

    await cli('vault', '--data-dir', server.dataDir, 'delete', '--name', name);
    await assert.rejects(cli('vault', '--data-dir', server.dataDir, 'show', '--name', name),
      (err) => /HTTP 404/.test(err.stderr));
  });

  test('bad input is refused with the server\'s message and a non-zero exit', async () => {
    await assert.rejects(cli('vault', '--data-dir', server.dataDir, 'create', '--name', 'a--b'),
      (err) => err.code !== 0 && /HTTP 400/.test(err.stderr));
    await assert.rejects(cli('vault', '--data-dir', server.dataDir, 'create', '--name', uniqueName('cli'),
      '--location', 'mars'), (err) => /HTTP 400/.test(err.stderr) && /location/i.test(err.stderr));
    await assert.rejects(cli('vault', '--data-dir', '/nonexistent', 'list'),
      (err) => /dev-credentials\.json/.test(err.stderr));
  });
});

describe('coffer dev time-shift', () => {
  test('moving the clock past the retention purges a soft-deleted secret', async () => {
    const client = secretClient(server);
    const name = uniqueName('tshift');
    await client.setSecret(name, 'gone-soon');
    await (await client.beginDeleteSecret(name)).pollUntilDone();
    assert.equal((await client.getDeletedSecret(name)).name, name);

    const out = JSON.parse((await cli('dev', '--data-dir', server.dataDir, 'time-shift', '--days', '91')).stdout);
    assert.ok(out.offsetSeconds >= 91 * 86400, JSON.stringify(out));
    await pollUntil(async () => {
      try { await client.getDeletedSecret(name); return false; } catch (err) { return err.statusCode === 404; }
    }, { timeoutMs: 15_000, what: 'the sweeper to purge the secret' });
  });
});
