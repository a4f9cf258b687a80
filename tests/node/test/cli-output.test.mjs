// `--output json|table|tsv` of the `coffer` CLI (CONTRACT.md "CLI", like az's): JSON by default;
// table with a header, a dashed line and padded columns (plain members and those of nested
// objects one level down); tsv without a header; the option anywhere on the line, for data-plane
// and management commands alike; a refusal still prints only `ERROR: …` on stderr.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { startServer } from '../support/server.mjs';
import { uniqueName } from '../support/azure.mjs';
import {
  cli, cliJson, expectRefusal, expectUsageError,
} from '../support/cli.mjs';

let server;
let d;
before(async () => {
  server = await startServer();
  d = ['--data-dir', server.dataDir];
});
after(async () => { await server?.remove(); });

const lines = (text) => text.split('\n').filter((l) => l !== '');

describe('coffer --output', () => {
  test('secret commands in table and tsv', async () => {
    const name = uniqueName('outsec');
    const table = await cli('secret', 'set', '--vault-name', 'dev', '-n', name, '--value', 'v1',
      '--content-type', 'text/plain', '--output', 'table', ...d);
    const [header, dashes, row] = lines(table.stdout);
    assert.match(header, /^Attributes\.Created\s+Attributes\.Enabled\s+.*ContentType\s+Id\s+Value$/);
    assert.match(dashes, /^-+( {2}-+)+$/);
    assert.match(row, /true .*text\/plain .*\/secrets\/.* {2}v1$/);
    assert.equal(header.indexOf('Id'), row.indexOf('https://'), 'columns are aligned');

    const tsv = await cli('-o', 'tsv', 'secret', 'show', '--vault-name', 'dev', '-n', name, ...d);
    const fields = tsv.stdout.trimEnd().split('\t');
    assert.ok(fields.includes('v1') && fields.includes('text/plain') && fields.includes('true'));
    assert.equal(lines(tsv.stdout).length, 1, 'tsv has no header');

    const listed = await cli('secret', 'list', '--vault-name', 'dev', '-o', 'tsv', ...d);
    assert.ok(lines(listed.stdout).some((l) => l.includes(`/secrets/${name}\t`) || l.endsWith(`/secrets/${name}`)));
    assert.ok(Array.isArray(await cliJson('secret', 'list', '--vault-name', 'dev', '-o', 'json', ...d)));
  });

  test('key sign and verify print one-row tables', async () => {
    const name = uniqueName('outkey');
    await cliJson('key', 'create', '--vault-name', 'dev', '-n', name, ...d);
    const digest = crypto.createHash('sha256').update('x').digest('base64url');
    const signed = await cliJson('key', 'sign', '--vault-name', 'dev', '-n', name, '--algorithm', 'RS256',
      '--digest', digest, ...d);
    const table = await cli('key', 'verify', '--vault-name', 'dev', '-n', name, '--algorithm', 'RS256',
      '--digest', digest, '--signature', signed.signature, '-o', 'table', ...d);
    assert.deepEqual(lines(table.stdout), ['IsValid', '-------', 'true']);
    const tsv = await cli('key', 'sign', '--vault-name', 'dev', '-n', name, '--algorithm', 'RS256',
      '--digest', digest, '-o', 'tsv', ...d);
    const [kid, signature] = tsv.stdout.trimEnd().split('\t');
    assert.match(kid, new RegExp(`/keys/${name}/`));
    assert.ok(signature.length > 300);
  });

  test('management commands and lists of vaults', async () => {
    const table = await cli('vault', 'show', '--name', 'dev', '-o', 'table', ...d);
    const [header, , row] = lines(table.stdout);
    assert.match(header, /\bLocation\s+Name\b/);
    assert.match(row, /\beastus\s+dev\b/);
    const tsv = await cli('vault', 'list', '--output', 'tsv', ...d);
    assert.ok(lines(tsv.stdout).some((l) => l.split('\t').includes('dev')));
  });

  test('refusals and bad formats', async () => {
    const r = await expectRefusal(['secret', 'show', '--vault-name', 'dev', '-n', 'nothing-here', '-o', 'table', ...d]);
    assert.equal(r.stdout, '');
    await expectUsageError(['secret', 'list', '--vault-name', 'dev', '--output', 'yaml', ...d], /yaml/);
    await expectUsageError(['secret', 'list', '--vault-name', 'dev', '-o', ...d]);
  });
});
