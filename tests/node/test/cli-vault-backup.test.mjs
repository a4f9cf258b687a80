// `coffer vault backup|restore|backup list` against a running dev server (CONTRACT.md
// "Whole-vault backup and restore", "CLI"): the archive file, a whole restore into an empty
// vault read back with the SDK, a selective restore with conflicts, refusals (exit 1 with the
// server's message), usage errors (exit 2), no progress output when stderr is not a terminal,
// and the scheduled backup files of [backup] dir.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freshDataDir, startServer } from '../support/server.mjs';
import { pollUntil, secretClient, uniqueName } from '../support/azure.mjs';
import {
  cli, cliJson, expectRefusal, expectUsageError,
} from '../support/cli.mjs';

let server;
let tmp;
let d;
let backupDir;
let config;

before(async () => {
  backupDir = freshDataDir('backups');
  config = path.join(freshDataDir('config'), 'coffer.toml');
  fs.writeFileSync(config, `[backup]\nschedule = "1h"\nkeep = 3\ndir = "${backupDir}"\n`);
  server = await startServer({ args: ['--config', config] });
  d = ['--data-dir', server.dataDir];
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'coffer-cli-vbak-'));
});
after(async () => {
  await server?.remove();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

const file = (name) => path.join(tmp, name);

describe('coffer vault backup and restore', () => {
  test('back up a vault to a file and restore it whole into an empty vault, then selectively', async () => {
    const source = uniqueName('src');
    const target = uniqueName('dst');
    await cliJson('vault', 'create', '--name', source, ...d);
    await cliJson('vault', 'create', '--name', target, ...d);
    await cliJson('secret', 'set', '--vault-name', source, '-n', 'db', '--value', 'v1', ...d);
    await cliJson('secret', 'set', '--vault-name', source, '-n', 'db', '--value', 'v2', ...d);
    await cliJson('key', 'create', '--vault-name', source, '-n', 'signer', '--kty', 'EC', ...d);

    const archive = file(`${source}.coffer-backup`);
    const run = await cli('vault', 'backup', '--name', source, '--file', archive, ...d);
    assert.equal(run.stderr, '', 'no progress line when stderr is not a terminal');
    const job = JSON.parse(run.stdout);
    assert.equal(job.status, 'Succeeded');
    assert.equal(job.objects, 2);
    assert.equal(fs.statSync(archive).size, job.bytes);
    assert.equal(fs.statSync(archive).mode & 0o777, 0o600);

    const restored = await cliJson('vault', 'restore', '--name', target, '--file', archive, ...d);
    assert.equal(restored.status, 'Succeeded');
    assert.equal(restored.restored, 2);
    assert.deepEqual(restored.conflicts, []);
    assert.equal((await secretClient(server, target).getSecret('db')).value, 'v2');
    assert.equal((await cliJson('secret', 'list-versions', '--vault-name', target, '-n', 'db', ...d)).length, 2);

    // The target is no longer empty: a whole restore is refused, a selection reports conflicts.
    await expectRefusal(['vault', 'restore', '--name', target, '--file', archive, ...d], /not empty/);
    await cliJson('key', 'delete', '--vault-name', target, '-n', 'signer', ...d);
    await cli('key', 'purge', '--vault-name', target, '-n', 'signer', ...d);
    const selective = await cliJson('vault', 'restore', '--name', target, '--file', archive,
      '--object', 'secrets/db', 'keys/signer', ...d);
    assert.equal(selective.status, 'Succeeded');
    assert.equal(selective.restored, 1);
    assert.deepEqual(selective.conflicts.map((c) => [c.kind, c.name]), [['secret', 'db']]);
    assert.equal((await cliJson('key', 'show', '--vault-name', target, '-n', 'signer', ...d)).key.kty, 'EC');
  });

  test('refusals exit 1 with the server message; usage errors exit 2', async () => {
    fs.writeFileSync(file('junk.coffer-backup'), 'not an archive');
    await expectRefusal(['vault', 'restore', '--name', 'dev', '--file', file('junk.coffer-backup'),
      '--object', 'secrets/x', ...d], /archive/);
    await expectRefusal(['vault', 'restore', '--name', 'dev', '--file', file('missing'), ...d]);
    await expectRefusal(['vault', 'backup', '--name', 'nosuchvault', '--file', file('x'), ...d], /nosuchvault|not found/i);
    assert.ok(!fs.existsSync(file('x')), 'a refused backup writes no file');
    await expectUsageError(['vault', 'backup', '--name', 'dev', ...d], /--file/);
    await expectUsageError(['vault', 'restore', '--file', file('x'), ...d], /--name/);
    await expectUsageError(['vault', 'restore', '--name', 'dev', '--file', file('x'), '--object', 'vaults/x', ...d],
      /--object/);
    await expectUsageError(['vault', 'backup', '--name', 'not a vault', '--file', file('x'), ...d]);
    await expectUsageError(['vault', 'backup', 'list', ...d], /--dir/);
  });

  test('backup list shows the scheduled files of [backup] dir with vault, time and size', async () => {
    const files = await pollUntil(async () => {
      const listed = await cliJson('vault', 'backup', 'list', '--config', config, ...d);
      return listed.some((f) => f.vault === 'dev') && listed;
    }, { timeoutMs: 20_000, what: 'a scheduled backup of dev' });
    const dev = files.find((f) => f.vault === 'dev');
    assert.match(dev.name, /^dev-\d{8}T\d{6}Z\.coffer-backup$/);
    assert.match(dev.time, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    assert.equal(dev.size, fs.statSync(path.join(backupDir, dev.name)).size);
    const byDir = await cliJson('vault', 'backup', 'list', '--dir', backupDir, '--vault', 'dev', ...d);
    assert.ok(byDir.length >= 1 && byDir.every((f) => f.vault === 'dev'));
    // A scheduled file restores like a downloaded one.
    const target = uniqueName('fromfile');
    await cliJson('vault', 'create', '--name', target, ...d);
    const restored = await cliJson('vault', 'restore', '--name', target, '--file', dev.path, ...d);
    assert.equal(restored.status, 'Succeeded');
  });
});
