// Secrets through the unmodified @azure/keyvault-secrets SecretClient on the dev vault.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../support/server.mjs';
import { rawRequest, assertErrorEnvelope } from '../support/http.mjs';
import {
  secretClient, dataToken, expectRestError, innerCode, collect, uniqueName,
} from '../support/azure.mjs';

let server;
let client;
let origin;
const FAST = { updateIntervalInMs: 50 };

before(async () => {
  server = await startServer();
  client = secretClient(server);
  origin = `https://dev.vault.localhost:${server.port}`;
});
after(async () => { await server?.remove(); });

const VERSION_RE = /^[0-9a-f]{32}$/;

describe('set and get', () => {
  test('set returns a bundle with a versioned id on the request host', async () => {
    const s = await client.setSecret('alpha', 'v1', { tags: { a: 'b' }, contentType: 'text/plain' });
    assert.equal(s.value, 'v1');
    assert.equal(s.name, 'alpha');
    assert.match(s.properties.version, VERSION_RE);
    assert.equal(s.properties.id, `${origin}/secrets/alpha/${s.properties.version}`);
    assert.equal(s.properties.vaultUrl, origin);
    assert.deepEqual(s.properties.tags, { a: 'b' });
    assert.equal(s.properties.contentType, 'text/plain');
    assert.equal(s.properties.enabled, true);
    assert.ok(s.properties.createdOn instanceof Date);
    assert.ok(s.properties.updatedOn instanceof Date);
  });

  test('latest and by version', async () => {
    const v1 = await client.setSecret('beta', 'one');
    const v2 = await client.setSecret('beta', 'two');
    assert.notEqual(v1.properties.version, v2.properties.version);
    assert.equal((await client.getSecret('beta')).value, 'two');
    assert.equal((await client.getSecret('beta', { version: v1.properties.version })).value, 'one');
    assert.equal((await client.getSecret('beta', { version: v2.properties.version })).value, 'two');
    await expectRestError(client.getSecret('beta', { version: '0'.repeat(32) }), 404);
    await expectRestError(client.getSecret('nosuchsecret'), 404, 'SecretNotFound');
  });

  test('recoveryLevel and recoverableDays of the dev vault', async () => {
    const s = await client.setSecret('gamma', 'x');
    assert.equal(s.properties.recoveryLevel, 'Recoverable+Purgeable');
    assert.equal(s.properties.recoverableDays, 90);
  });

  test('names are case-insensitive and echoed in their original casing', async () => {
    const s = await client.setSecret('MixedCaseName', 'mc');
    assert.equal(s.name, 'MixedCaseName');
    const got = await client.getSecret('mixedcasename');
    assert.equal(got.value, 'mc');
    assert.equal(got.properties.version, s.properties.version);
    await client.setSecret('MIXEDCASENAME', 'mc2');
    const versions = await collect(client.listPropertiesOfSecretVersions('mixedCaseName'));
    assert.equal(versions.length, 2, 'one secret, two versions');
    assert.equal((await client.getSecret('MixedCaseName')).value, 'mc2');
  });

  test('value of exactly 25,600 UTF-8 bytes is accepted, 25,601 refused with 400', async () => {
    const ascii = 'a'.repeat(25_600);
    assert.equal((await client.setSecret('big-ascii', ascii)).value.length, 25_600);
    assert.equal((await client.getSecret('big-ascii')).value, ascii);
    await expectRestError(client.setSecret('big-ascii', `${ascii}a`), 400, 'BadParameter');
    const twoByte = 'é'.repeat(12_800); // 25,600 bytes
    assert.equal(Buffer.byteLength(twoByte), 25_600);
    assert.equal((await client.setSecret('big-utf8', twoByte)).value, twoByte);
    await expectRestError(client.setSecret('big-utf8', `${twoByte}a`), 400, 'BadParameter');
  });
});

describe('update properties', () => {
  test('tags, contentType, enabled=false; a disabled version cannot be read', async () => {
    const first = await client.setSecret('upd', 'first');
    const second = await client.setSecret('upd', 'second');
    const p = await client.updateSecretProperties('upd', second.properties.version, {
      tags: { env: 'test', owner: 'me' }, contentType: 'application/json', enabled: false,
    });
    assert.deepEqual(p.tags, { env: 'test', owner: 'me' });
    assert.equal(p.contentType, 'application/json');
    assert.equal(p.enabled, false);
    assert.equal(p.version, second.properties.version);
    const err = await expectRestError(client.getSecret('upd'), 403);
    assert.ok(err.code === 'SecretDisabled' || innerCode(err) === 'SecretDisabled',
      `SecretDisabled expected as code or innererror code: ${err.code} / ${innerCode(err)}: ${err.message}`);
    assert.equal((await client.getSecret('upd', { version: first.properties.version })).value, 'first');
    // Re-enable through the empty-version ("latest") PATCH path the SDK uses for "".
    const re = await client.updateSecretProperties('upd', '', { enabled: true });
    assert.equal(re.enabled, true);
    assert.equal((await client.getSecret('upd')).value, 'second');
    const props = (await collect(client.listPropertiesOfSecretVersions('upd')))
      .find((v) => v.version === second.properties.version);
    assert.deepEqual(props.tags, { env: 'test', owner: 'me' }, 'tags kept by a later PATCH');
  });
});

describe('listing', () => {
  test('listPropertiesOfSecrets pages of 2 across many secrets: no duplicates, no gaps', async () => {
    const prefix = uniqueName('page');
    const names = [];
    for (let i = 0; i < 7; i += 1) {
      names.push(`${prefix}-${i}`);
      await client.setSecret(`${prefix}-${i}`, `v${i}`);
    }
    const seen = [];
    let pages = 0;
    for await (const page of client.listPropertiesOfSecrets().byPage({ maxPageSize: 2 })) {
      pages += 1;
      assert.ok(page.length <= 2, `page of ${page.length}`);
      for (const p of page) {
        seen.push(p.name);
        assert.equal(p.id, `${origin}/secrets/${p.name}`, 'list items carry the base id');
        assert.equal(p.value, undefined);
      }
      assert.ok(pages < 1000, 'runaway paging');
    }
    assert.equal(new Set(seen).size, seen.length, `duplicates in ${seen}`);
    for (const n of names) assert.ok(seen.includes(n), `${n} missing from the listing`);
    assert.ok(pages >= 4);
  });

  test('the versions of a name that never existed are an empty list, not a 404 (Azure)', async () => {
    assert.deepEqual(await collect(client.listPropertiesOfSecretVersions(uniqueName('never'))), []);
  });

  test('listPropertiesOfSecretVersions pages of 2 across 6 versions', async () => {
    const versions = [];
    for (let i = 0; i < 6; i += 1) versions.push((await client.setSecret('versioned', `v${i}`)).properties.version);
    const seen = [];
    for await (const page of client.listPropertiesOfSecretVersions('versioned').byPage({ maxPageSize: 2 })) {
      assert.ok(page.length <= 2);
      for (const p of page) {
        seen.push(p.version);
        assert.equal(p.id, `${origin}/secrets/versioned/${p.version}`);
      }
    }
    assert.deepEqual([...seen].sort(), [...versions].sort());
  });

  test('nextLink is absolute, carries api-version, maxresults and $skiptoken; a forged one → 400', async () => {
    const token = await dataToken(server);
    const first = await rawRequest({
      port: server.port, host: 'dev.vault.localhost', token, path: '/secrets?api-version=7.6&maxresults=1',
    });
    assert.equal(first.status, 200, first.body);
    assert.equal(first.json.value.length, 1);
    const link = new URL(first.json.nextLink);
    assert.equal(link.origin, origin);
    assert.ok(link.searchParams.get('api-version'), 'api-version in nextLink');
    assert.equal(link.searchParams.get('maxresults'), '1');
    const skip = link.searchParams.get('$skiptoken');
    assert.ok(skip, '$skiptoken in nextLink');
    const second = await rawRequest({
      port: server.port, host: 'dev.vault.localhost', token, path: link.pathname + link.search,
    });
    assert.equal(second.status, 200, second.body);
    assert.notEqual(second.json.value[0].id, first.json.value[0].id);
    const forged = new URL(link);
    forged.searchParams.set('$skiptoken', `${skip.slice(0, -2)}${skip.endsWith('A') ? 'B' : 'A'}x`);
    const bad = await rawRequest({
      port: server.port, host: 'dev.vault.localhost', token, path: forged.pathname + forged.search,
    });
    assertErrorEnvelope(bad, 400);
  });
});

describe('soft delete, recover, purge', () => {
  test('delete → deleted bundle → list → name reserved → recover → delete → purge', async () => {
    const name = uniqueName('del');
    const set = await client.setSecret(name, 'keep-me', { tags: { t: '1' } });
    const poller = await client.beginDeleteSecret(name, FAST);
    const deleted = await poller.pollUntilDone();
    assert.equal(deleted.name, name);
    assert.equal(deleted.properties.recoveryId, `${origin}/deletedsecrets/${name}`);
    assert.ok(deleted.properties.deletedOn instanceof Date);
    assert.equal(deleted.properties.scheduledPurgeDate.getTime() - deleted.properties.deletedOn.getTime(), 90 * 86_400_000);

    const got = await client.getDeletedSecret(name);
    assert.equal(got.properties.version, set.properties.version);
    assert.deepEqual(got.properties.tags, { t: '1' });
    const listed = await collect(client.listDeletedSecrets());
    assert.ok(listed.some((d) => d.name === name), 'listed among deleted secrets');
    assert.ok(!(await collect(client.listPropertiesOfSecrets())).some((p) => p.name === name), 'gone from the live list');
    await expectRestError(client.getSecret(name), 404);

    const conflict = await expectRestError(client.setSecret(name, 'other'), 409, 'Conflict');
    assert.ok(innerCode(conflict) === 'ObjectIsDeletedButRecoverable' || /ObjectIsDeletedButRecoverable|deleted but recoverable/i.test(conflict.message),
      `409 names ObjectIsDeletedButRecoverable: ${innerCode(conflict)} ${conflict.message}`);

    const recovered = await (await client.beginRecoverDeletedSecret(name, FAST)).pollUntilDone();
    assert.equal(recovered.name, name);
    assert.equal((await client.getSecret(name)).value, 'keep-me');
    await expectRestError(client.getDeletedSecret(name), 404);

    await (await client.beginDeleteSecret(name, FAST)).pollUntilDone();
    await client.purgeDeletedSecret(name); // the SDK insists on 204
    await expectRestError(client.getDeletedSecret(name), 404);
    assert.equal((await client.setSecret(name, 'fresh')).value, 'fresh', 'a purged name is free again');
  });

  test('purge of a live secret and recover of an unknown one → 404', async () => {
    await client.setSecret('liveone', 'x');
    await expectRestError(client.purgeDeletedSecret('liveone'), 404);
    const raw = await rawRequest({
      port: server.port, host: 'dev.vault.localhost', token: await dataToken(server),
      method: 'POST', path: '/deletedsecrets/nosuchdeleted/recover?api-version=7.6',
    });
    assertErrorEnvelope(raw, 404);
  });
});

describe('backup and restore in the same vault', () => {
  test('purge then restore brings back every version with its attributes', async () => {
    const name = uniqueName('bk');
    await client.setSecret(name, 'one', { tags: { v: '1' }, contentType: 'text/plain' });
    await client.setSecret(name, 'two', { expiresOn: new Date('2035-01-01T00:00:00Z') });
    const third = await client.setSecret(name, 'three', { tags: { v: '3' } });
    await client.updateSecretProperties(name, third.properties.version, { enabled: false });
    await client.setSecret(name, 'four');

    const before = await collect(client.listPropertiesOfSecretVersions(name));
    const values = new Map();
    for (const p of before) {
      if (p.enabled) values.set(p.version, (await client.getSecret(name, { version: p.version })).value);
    }
    const blob = await client.backupSecret(name);
    assert.ok(blob instanceof Uint8Array && blob.length > 0);

    await (await client.beginDeleteSecret(name, FAST)).pollUntilDone();
    await client.purgeDeletedSecret(name);
    await expectRestError(client.getSecret(name), 404);

    const restored = await client.restoreSecretBackup(blob); // SecretProperties of the latest version
    assert.equal(restored.name, name);
    const latest = await client.getSecret(name);
    assert.equal(latest.value, 'four');
    assert.equal(restored.id, `${origin}/secrets/${name}/${latest.properties.version}`);

    const after = await collect(client.listPropertiesOfSecretVersions(name));
    assert.equal(after.length, before.length);
    const byVersion = new Map(after.map((p) => [p.version, p]));
    for (const b of before) {
      const a = byVersion.get(b.version);
      assert.ok(a, `version ${b.version} restored`);
      assert.equal(a.id, b.id);
      assert.equal(a.enabled, b.enabled);
      assert.deepEqual(a.tags ?? {}, b.tags ?? {});
      assert.equal(a.contentType, b.contentType);
      assert.equal(a.createdOn?.getTime(), b.createdOn?.getTime(), 'created kept');
      assert.equal(a.updatedOn?.getTime(), b.updatedOn?.getTime(), 'updated kept');
      assert.equal(a.expiresOn?.getTime(), b.expiresOn?.getTime(), 'exp kept');
      if (b.enabled) assert.equal((await client.getSecret(name, { version: b.version })).value, values.get(b.version));
      else await expectRestError(client.getSecret(name, { version: b.version }), 403);
    }
  });
});
