// Soft-delete expiry (with the dev clock) and purge protection.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../support/server.mjs';
import {
  secretClient, createVault, timeShift, expectRestError, pollUntil, uniqueName,
} from '../support/azure.mjs';

const DAY = 86_400;
const FAST = { updateIntervalInMs: 50 };
let server;

before(async () => { server = await startServer(); });
after(async () => { await server?.remove(); });

/** Waits (bounded) until getDeletedSecret answers 404. */
async function waitUntilPurged(client, name) {
  await pollUntil(async () => {
    try {
      await client.getDeletedSecret(name);
      return false;
    } catch (err) {
      if (err.statusCode === 404) return true;
      throw err;
    }
  }, { timeoutMs: 10_000, intervalMs: 250, what: `${name} purged by the sweeper` });
}

describe('expiry of soft-deleted secrets', () => {
  test('each vault keeps deleted secrets for its own retention, then the sweeper purges them', async () => {
    const dev = secretClient(server);
    const shortName = uniqueName('ret');
    await createVault(server, { name: shortName, properties: { softDeleteRetentionInDays: 7 } });
    const short = secretClient(server, shortName);

    const s = await short.setSecret('gone-in-7', 'x');
    assert.equal(s.properties.recoverableDays, 7);
    assert.equal(s.properties.recoveryLevel, 'CustomizedRecoverable+Purgeable');
    await dev.setSecret('gone-in-90', 'y');

    const d7 = await (await short.beginDeleteSecret('gone-in-7', FAST)).pollUntilDone();
    assert.equal(d7.properties.scheduledPurgeDate.getTime() - d7.properties.deletedOn.getTime(), 7 * DAY * 1000);
    await (await dev.beginDeleteSecret('gone-in-90', FAST)).pollUntilDone();

    assert.equal(await timeShift(server, 8 * DAY), 8 * DAY);
    await waitUntilPurged(short, 'gone-in-7');
    assert.equal((await dev.getDeletedSecret('gone-in-90')).name, 'gone-in-90', 'the 90-day one is still recoverable');

    assert.equal(await timeShift(server, 83 * DAY), 91 * DAY, 'offsetSeconds is the total shift');
    await waitUntilPurged(dev, 'gone-in-90');
    assert.equal((await dev.setSecret('gone-in-90', 'again')).value, 'again', 'the name is free after the purge');
    assert.equal((await short.setSecret('gone-in-7', 'again')).value, 'again');
  });

  test('tokens still validate after the domain clock moved (exp is checked against the real clock)', async () => {
    // A fresh credential asks for a fresh token after the shifts above.
    const fresh = secretClient(server);
    assert.equal((await fresh.setSecret('after-shift', 'ok')).value, 'ok');
  });
});

describe('purge protection', () => {
  test('purge → 403; recover still works', async () => {
    const name = uniqueName('pp');
    const vault = await createVault(server, { name, properties: { enablePurgeProtection: true } });
    assert.equal(vault.properties.enablePurgeProtection, true);
    const client = secretClient(server, name);
    const s = await client.setSecret('protected', 'p');
    assert.equal(s.properties.recoveryLevel, 'Recoverable');
    await (await client.beginDeleteSecret('protected', FAST)).pollUntilDone();
    const err = await expectRestError(client.purgeDeletedSecret('protected'), 403);
    assert.match(err.message, /purge/i);
    assert.equal((await client.getDeletedSecret('protected')).name, 'protected', 'still there after the refused purge');
    await (await client.beginRecoverDeletedSecret('protected', FAST)).pollUntilDone();
    assert.equal((await client.getSecret('protected')).value, 'p');
  });
});
