// Several Coffer nodes on one PostgreSQL (CONTRACT.md "PostgreSQL and paired-region failover"):
// two dev nodes started at the same moment on one empty database make one deployment (the
// second joins with --unseal-key-file <first node's data dir>/unseal.key: same tenant, client
// and subscriptions, a client secret of its own), and a write acknowledged by one node is read
// through the other at once — also where the other node answers from a cache (a key's
// operation cache, the vault registry, role-assignment decisions, the principal index behind
// every token check, the secret read cache), which the writing transaction invalidates
// through LISTEN/NOTIFY, and which each request waits to catch up with first (the feed's fence,
// docs/decisions.md "Several nodes on one PostgreSQL"). So every check here is immediate: no
// retry, no wait.
// Runs when COFFER_TEST_PG_URL is set (scripts/test.sh starts a server with scripts/pg.sh);
// works in a fresh schema, dropped at the end.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ClientSecretCredential } from '@azure/identity';
import { SecretClient } from '@azure/keyvault-secrets';
import { KeyClient } from '@azure/keyvault-keys';
import { AuthorizationManagementClient } from '@azure/arm-authorization';
import { cofferBin, freshDataDir, startServer } from '../support/server.mjs';
import { keyRequest } from '../support/keys.mjs';
import {
  MGMT_SCOPE, createVault, credentialFor, expectRestError, mgmtRequest, pollUntil, putVault, uniqueName, vaultPath, vaultUrl,
} from '../support/azure.mjs';

const URL_ = process.env.COFFER_TEST_PG_URL;
const PSQL = fs.existsSync('/usr/lib/postgresql/15/bin/psql') ? '/usr/lib/postgresql/15/bin/psql' : 'psql';
const SECRETS_USER = '4633458b-17de-408a-b874-0445c86b69e6';

function psql(sql) {
  const r = spawnSync(PSQL, [URL_, '-X', '-q', '-At', '-v', 'ON_ERROR_STOP=1', '-c', sql], { encoding: 'utf8' });
  assert.equal(r.status, 0, `psql ${sql}: ${r.stderr}`);
  return r.stdout.trim();
}


describe('two Coffer nodes on one PostgreSQL', { skip: URL_ ? false : 'COFFER_TEST_PG_URL is not set (scripts/test.sh sets it)' }, () => {
  const schema = `coffer_mn_${process.pid}_${crypto.randomBytes(4).toString('hex')}`;
  let a;
  let b;

  before(async () => {
    psql(`CREATE SCHEMA ${schema}`);
    const config = path.join(freshDataDir('config'), 'coffer.toml');
    const url = `${URL_}?options=-csearch_path%3D${schema}`;
    fs.writeFileSync(config, `[storage]\nengine = "postgres"\nurl = "${url}"\nmax_connections = 8\n`);
    // Both first starts at once: the start-up lock lets one bootstrap; the other waits for it
    // and joins with its unseal key.
    const dirA = freshDataDir('node-a');
    // The suite's dev CA (NODE_EXTRA_CA_CERTS), as startServer seeds a fresh data dir.
    fs.cpSync(path.join(process.env.COFFER_CA_DIR, 'tls'), path.join(dirA, 'tls'), { recursive: true });
    [a, b] = await Promise.all([
      startServer({ dataDir: dirA, args: ['--config', config] }),
      startServer({ args: ['--config', config, '--unseal-key-file', path.join(dirA, 'unseal.key')] }),
    ]);
  });
  after(async () => {
    await a?.remove();
    await b?.remove();
    if (URL_) psql(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  });

  const secrets = (node, vault = 'dev', cred = credentialFor(node.creds)) => new SecretClient(vaultUrl(node, vault), cred);
  const keys = (node) => new KeyClient(vaultUrl(node, 'dev'), credentialFor(node.creds));

  test('the joining node names the same tenant, client and subscriptions, with a secret of its own', async () => {
    assert.equal(b.creds.tenantId, a.creds.tenantId);
    assert.equal(b.creds.clientId, a.creds.clientId);
    assert.deepEqual(b.creds.subscriptions, a.creds.subscriptions);
    assert.notEqual(b.creds.clientSecret, a.creds.clientSecret);
    // One bootstrap: one tenant administrator holding both nodes' secrets, and one dev vault.
    const list = await mgmtRequest(a, { path: '/_coffer/principals' });
    assert.equal(list.status, 200, list.body);
    const principals = list.json.value ?? list.json;
    assert.equal(principals.length, 1, JSON.stringify(principals));
    assert.equal(principals[0].secrets.length, 2, JSON.stringify(principals[0]));
    // Each node's credentials work on either node.
    const name = uniqueName('boot');
    await secrets(a, 'dev', credentialFor(b.creds)).setSecret(name, 'x');
    assert.equal((await secrets(b, 'dev', credentialFor(a.creds)).getSecret(name)).value, 'x');

    // A restart of the joining node keeps its secret (no third one is added).
    const secretB = b.creds.clientSecret;
    b = await b.restart();
    assert.equal(b.creds.clientSecret, secretB);
    const again = await mgmtRequest(a, { path: '/_coffer/principals' });
    assert.equal(again.json.value[0].secrets.length, 2, again.body);
  });

  test('a secret written or disabled on one node is read or refused on the other', async () => {
    const name = uniqueName('mn');
    const set = await secrets(a).setSecret(name, 'one');
    const got = await secrets(b).getSecret(name);
    assert.equal(got.value, 'one');
    assert.equal(got.properties.version, set.properties.version);
    await secrets(b).updateSecretProperties(name, set.properties.version, { enabled: false });
    await expectRestError(secrets(a).getSecret(name), 403);
  });

  test('each node\'s secret read cache follows the other node\'s writes at once', async () => {
    const name = uniqueName('mnc');
    let previous = await secrets(a).setSecret(name, 'v0');
    // B and A read it (so both cache it), then each round changes it on one node and reads it
    // on the other right after the write's answer: a stale cache entry would show.
    for (let round = 1; round <= 40; round += 1) {
      const [writer, reader] = round % 2 === 0 ? [a, b] : [b, a];
      assert.equal((await secrets(reader).getSecret(name)).value, `v${round - 1}`);
      if (round % 10 === 0) {
        await secrets(writer).updateSecretProperties(name, previous.properties.version, { enabled: false });
        await expectRestError(secrets(reader).getSecret(name), 403);
        await secrets(writer).updateSecretProperties(name, previous.properties.version, { enabled: true });
        // The version read by its id, cached on the reader, follows too.
        const byVersion = await secrets(reader).getSecret(name, { version: previous.properties.version });
        assert.equal(byVersion.value, `v${round - 1}`);
      }
      previous = await secrets(writer).setSecret(name, `v${round}`);
      const got = await secrets(reader).getSecret(name);
      assert.equal(got.value, `v${round}`, `round ${round}`);
      assert.equal(got.properties.version, previous.properties.version);
    }
    // Deleted on one node: unknown on the other at once.
    await secrets(a).beginDeleteSecret(name);
    await expectRestError(secrets(b).getSecret(name), 404);
  });

  test('a key rotated, disabled and enabled on one node: the other node\'s operations follow at once', async () => {
    const name = uniqueName('mnk');
    const created = await keys(a).createRsaKey(name, { keySize: 2048 });
    const digest = crypto.createHash('sha256').update('multinode').digest().toString('base64url');
    // Signs on B with the latest version (no version in the path: B's operation cache answers
    // "latest" with no storage read once it holds the key).
    const signOnB = () => keyRequest(b, { method: 'POST', path: `/keys/${name}//sign`, body: { alg: 'RS256', value: digest } });
    const version = (res) => {
      assert.equal(res.status, 200, res.body);
      return res.json.kid.split('/').pop();
    };
    assert.equal(version(await signOnB()), created.properties.version);
    assert.equal(version(await signOnB()), created.properties.version);

    const rotated = await keys(a).rotateKey(name);
    assert.notEqual(rotated.properties.version, created.properties.version);
    // B's request waits for its feed's fence, so the rotation is heard before B looks.
    assert.equal(version(await signOnB()), rotated.properties.version);
    for (let round = 0; round < 5; round += 1) {
      await keys(a).updateKeyProperties(name, rotated.properties.version, { enabled: false });
      assert.equal((await signOnB()).status, 403, `round ${round}: B signed with the disabled key`);
      await keys(a).updateKeyProperties(name, rotated.properties.version, { enabled: true });
      assert.equal(version(await signOnB()), rotated.properties.version);
    }
  });

  test('a vault created and deleted on one node is served and then unknown on the other', async () => {
    const sub = a.creds.subscriptions[0];
    const vault = uniqueName('mnv').slice(0, 20);
    await createVault(a, { name: vault, sub, rg: 'rg1' });
    await secrets(b, vault).setSecret('s', 'in the new vault');
    assert.equal((await secrets(a, vault).getSecret('s')).value, 'in the new vault');
    const del = await mgmtRequest(a, { method: 'DELETE', path: `${vaultPath(sub, 'rg1', vault)}?api-version=2026-02-01` });
    assert.ok([200, 204].includes(del.status), del.body);
    await expectRestError(secrets(b, vault).getSecret('s'), 404);
  });

  test('two nodes creating one vault name at once: exactly one 200/201, the other 409', async () => {
    const [sub0, sub1] = a.creds.subscriptions;
    // Both registries loaded, so each node's cache says "no such vault" when the PUTs arrive:
    // the 409 must come from the database, inside the writing transaction.
    for (const node of [a, b]) {
      const list = await mgmtRequest(node, { path: `/subscriptions/${sub0}/providers/Microsoft.KeyVault/vaults?api-version=2026-02-01` });
      assert.equal(list.status, 200, list.body);
    }
    for (let round = 0; round < 8; round += 1) {
      const name = uniqueName('race').slice(0, 20);
      // Another subscription, or the same subscription in another resource group.
      const other = round % 2 === 0 ? { sub: sub1, rg: 'rg1' } : { sub: sub0, rg: 'rg2' };
      const [ra, rb] = await Promise.all([
        putVault(a, { name, sub: sub0, rg: 'rg1' }),
        putVault(b, { name, ...other }),
      ]);
      const statuses = [ra.status, rb.status].sort();
      assert.ok([200, 201].includes(statuses[0]) && statuses[1] === 409,
        `round ${round}: ${ra.status} ${ra.body} | ${rb.status} ${rb.body}`);
      const loser = ra.status === 409 ? ra : rb;
      assert.match(loser.json.error.message, /already in use/, loser.body);
      const winnerPath = ra.status === 409 ? vaultPath(other.sub, other.rg, name) : vaultPath(sub0, 'rg1', name);
      const loserPath = ra.status === 409 ? vaultPath(sub0, 'rg1', name) : vaultPath(other.sub, other.rg, name);
      // Both nodes serve the winner's vault, and neither has one in the loser's scope.
      for (const node of [a, b]) {
        const got = await mgmtRequest(node, { path: `${winnerPath}?api-version=2026-02-01` });
        assert.equal(got.status, 200, got.body);
        const lost = await mgmtRequest(node, { path: `${loserPath}?api-version=2026-02-01` });
        assert.equal(lost.status, 404, lost.body);
      }
    }
  });

  test('a role assignment removed and a client secret revoked on one node take effect on the other', async () => {
    const sub = a.creds.subscriptions[0];
    const made = await mgmtRequest(a, { method: 'POST', path: '/_coffer/principals', body: { displayName: 'mn-reader' } });
    assert.equal(made.status, 201, made.body);
    const p = made.json;
    const auth = new AuthorizationManagementClient(credentialFor(a.creds), sub, {
      endpoint: a.creds.managementUrl, $host: a.creds.managementUrl, credentialScopes: [MGMT_SCOPE],
    });
    const scope = vaultPath(sub, 'coffer-dev', 'dev');
    const raName = crypto.randomUUID();
    await auth.roleAssignments.create(scope, raName, {
      roleDefinitionId: `/subscriptions/${sub}/providers/Microsoft.Authorization/roleDefinitions/${SECRETS_USER}`,
      principalId: p.objectId, principalType: 'ServicePrincipal',
    });
    const name = uniqueName('ra');
    await secrets(a).setSecret(name, 'readable');
    const cred = new ClientSecretCredential(b.creds.tenantId, p.clientId, p.clientSecret, {
      authorityHost: b.creds.authorityHost, disableInstanceDiscovery: true,
    });
    const asP = secrets(b, 'dev', cred);
    // Allowed on B (B's decision cache now says yes, and B's token cache holds the token).
    assert.equal((await asP.getSecret(name)).value, 'readable');
    assert.equal((await asP.getSecret(name)).value, 'readable');
    await auth.roleAssignments.delete(scope, raName);
    // CONTRACT.md "Authorization" allows one second; every node applies it at once.
    await expectRestError(asP.getSecret(name), 403);

    // Assigned again on B, then the secret its token names revoked on A: B refuses the token.
    const authB = new AuthorizationManagementClient(credentialFor(b.creds), sub, {
      endpoint: b.creds.managementUrl, $host: b.creds.managementUrl, credentialScopes: [MGMT_SCOPE],
    });
    await authB.roleAssignments.create(scope, crypto.randomUUID(), {
      roleDefinitionId: `/subscriptions/${sub}/providers/Microsoft.Authorization/roleDefinitions/${SECRETS_USER}`,
      principalId: p.objectId, principalType: 'ServicePrincipal',
    });
    assert.equal((await asP.getSecret(name)).value, 'readable');
    const revoke = await mgmtRequest(a, { method: 'DELETE', path: `/_coffer/principals/${p.objectId}/secrets/${p.keyId}` });
    assert.ok([200, 204].includes(revoke.status), revoke.body);
    await expectRestError(asP.getSecret(name), 401);
  });
});

describe('coffer operator init on a shared PostgreSQL', { skip: URL_ ? false : 'COFFER_TEST_PG_URL is not set (scripts/test.sh sets it)' }, () => {
  const schema = `coffer_init_${process.pid}_${crypto.randomBytes(4).toString('hex')}`;
  const url = `${URL_}?options=-csearch_path%3D${schema}`;
  let holder;
  let init;
  before(() => psql(`CREATE SCHEMA ${schema}`));
  after(() => {
    holder?.kill();
    init?.kill();
    if (URL_) psql(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  });

  test('waits for the start-up lock a starting node holds, like a server\'s first start', async () => {
    // A session holding the deployment's start-up lock, as a node in its first start does
    // (src/store/pg_cluster.cc: pg_advisory_lock(1129268551, hashtext(current_schema()))).
    holder = spawn(PSQL, [url, '-X', '-q', '-At', '-v', 'ON_ERROR_STOP=1'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let held = '';
    holder.stdout.on('data', (d) => { held += d; });
    holder.stdin.write('SELECT pg_advisory_lock(1129268551, hashtext(current_schema())); SELECT \'held\';\n');
    await pollUntil(async () => held.includes('held'), { timeoutMs: 10_000, intervalMs: 50, what: 'the lock held by psql' });

    const dir = freshDataDir('init');
    const config = path.join(dir, 'coffer.toml');
    fs.writeFileSync(config, `[storage]\nengine = "postgres"\nurl = "${url}"\n`);
    let out = '';
    let err = '';
    init = spawn(cofferBin(), ['operator', 'init', '--config', config, '--data-dir', path.join(dir, 'data'),
      '--key-file', path.join(dir, 'unseal.key')], { stdio: ['ignore', 'pipe', 'pipe'] });
    init.stdout.on('data', (d) => { out += d; });
    init.stderr.on('data', (d) => { err += d; });
    const exited = new Promise((resolve) => init.on('exit', (code) => resolve(code)));
    let done = false;
    exited.then(() => { done = true; });

    // init is waiting on that very lock (PostgreSQL shows its ungranted request), and has
    // written nothing: no keyring, no unseal key.
    await pollUntil(async () => psql(`SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND classid = 1129268551 AND objid::bigint = (hashtext('${schema}')::bigint & 4294967295)`) === '1',
      { timeoutMs: 20_000, intervalMs: 100, what: 'init waiting on the start-up lock' });
    assert.equal(done, false, `init finished while the lock was held: ${out} ${err}`);
    assert.equal(psql(`SELECT count(*) FROM ${schema}.kv`), '0');
    assert.equal(fs.existsSync(path.join(dir, 'unseal.key')), false);

    // The holder goes: init takes the lock, initialises and prints the first credentials.
    holder.stdin.end();
    assert.equal(await exited, 0, err);
    const printed = JSON.parse(out);
    assert.match(printed.tenantId, /^[0-9a-f-]{36}$/);
    assert.ok(printed.clientSecret);
    assert.ok(Number(psql(`SELECT count(*) FROM ${schema}.kv`)) > 0);

    // A second init on the initialised database stops at once with a message, and writes nothing.
    const again = spawnSync(cofferBin(), ['operator', 'init', '--config', config, '--data-dir', path.join(dir, 'data2'),
      '--key-file', path.join(dir, 'unseal2.key')], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(again.status, 1, again.stderr);
    assert.match(again.stderr, /init/);
    assert.equal(fs.existsSync(path.join(dir, 'unseal2.key')), false);
  });
});
