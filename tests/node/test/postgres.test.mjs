// `[storage] engine = "postgres"` (CONTRACT.md "PostgreSQL and paired-region failover"): a dev
// server on PostgreSQL serves the unmodified SecretClient, keeps nothing in a SQLite file, and
// a restart reads what the first run wrote from the database. Runs when COFFER_TEST_PG_URL names
// a server whose role owns its database (scripts/test.sh starts one with scripts/pg.sh); each
// run works in a fresh schema, dropped at the end.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { freshDataDir, startServer } from '../support/server.mjs';
import { secretClient } from '../support/azure.mjs';

const URL_ = process.env.COFFER_TEST_PG_URL;
const PSQL = fs.existsSync('/usr/lib/postgresql/15/bin/psql') ? '/usr/lib/postgresql/15/bin/psql' : 'psql';

/** Runs one SQL statement with psql against the test server; returns its output. */
function psql(sql) {
  const r = spawnSync(PSQL, [URL_, '-X', '-q', '-At', '-v', 'ON_ERROR_STOP=1', '-c', sql], { encoding: 'utf8' });
  assert.equal(r.status, 0, `psql ${sql}: ${r.stderr}`);
  return r.stdout.trim();
}

describe('PostgreSQL storage engine', { skip: URL_ ? false : 'COFFER_TEST_PG_URL is not set (scripts/test.sh sets it)' }, () => {
  const schema = `coffer_node_${process.pid}_${crypto.randomBytes(4).toString('hex')}`;
  let server;

  before(async () => {
    psql(`CREATE SCHEMA ${schema}`);
    const config = path.join(freshDataDir('config'), 'coffer.toml');
    // libpq URL parameters are percent-decoded: options = "-csearch_path=<schema>".
    const url = `${URL_}?options=-csearch_path%3D${schema}`;
    fs.writeFileSync(config, `[storage]\nengine = "postgres"\nurl = "${url}"\nmax_connections = 4\n`);
    server = await startServer({ args: ['--config', config] });
  });
  after(async () => {
    await server?.remove();
    if (URL_) psql(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  });

  test('secrets set through the SDK live in PostgreSQL and survive a restart', async () => {
    const client = secretClient(server);
    const set = await client.setSecret('pg-secret', 'stored in postgres');
    assert.equal(set.value, 'stored in postgres');
    assert.equal((await client.getSecret('pg-secret')).value, 'stored in postgres');

    assert.equal(fs.existsSync(path.join(server.dataDir, 'coffer.db')), false, 'a SQLite file was created');
    const rows = Number(psql(`SELECT count(*) FROM ${schema}.kv`));
    assert.ok(rows > 0, 'no rows in the kv table');
    // Only ciphertext reaches the database.
    assert.equal(psql(`SELECT count(*) FROM ${schema}.kv WHERE position('stored in postgres'::bytea in value) > 0`), '0');

    server = await server.restart();
    const again = await secretClient(server).getSecret('pg-secret');
    assert.equal(again.value, 'stored in postgres');
    assert.equal(again.properties.version, set.properties.version);
  });
});
