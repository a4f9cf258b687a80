// At-rest confidentiality (DESIGN.md §2 "Files in the data dir"): no file under the data dir
// except tls/ and dev-credentials.json holds a secret value, private key material or an object
// name (secret, key and vault names) in any encoding — SQLite main file, -wal and -shm included
// — while the server runs and after it has been stopped; and the server's log holds no value
// and no key material. The scanner is checked against planted needles so it cannot pass by
// finding nothing anywhere.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { freshDataDir, startServer } from '../support/server.mjs';
import { collect, createVault, pollUntil, secretClient } from '../support/azure.mjs';
import { cryptoClientFor, keyClient, localEc, localRsa, nodeJwkToSdk } from '../support/keys.mjs';
import { needleForms, scanDir } from '../support/scan.mjs';

const FAST = { updateIntervalInMs: 50 };
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** `n` random ASCII letters and digits. */
function randomAlnum(n) {
  return [...crypto.randomBytes(n)].map((b) => ALNUM[b % ALNUM.length]).join('');
}
const rnd = () => randomAlnum(20);

let server;
const needles = []; // {text, kind}
const seen = new Set();
function addNeedle(text, kind) {
  if (seen.has(text)) return;
  seen.add(text);
  needles.push({ text, kind });
}
/** Names are case-insensitive: look for the name as written, lower-cased and upper-cased. */
function addName(name) {
  for (const t of [name, name.toLowerCase(), name.toUpperCase()]) addNeedle(t, 'name');
}
/** Private key material (binary); a long part is also looked for in 32-byte slices. */
function addKeyMaterial(bytes) {
  addNeedle(bytes, 'key material');
  for (let i = 64; i + 32 <= bytes.length; i += 64) addNeedle(bytes.subarray(i, i + 32), 'key material');
}
function addValue(value) {
  addNeedle(value, 'value');
  // A long value may be split across storage pages; look for slices of it too.
  for (let i = 512; i + 32 <= value.length; i += 512) addNeedle(value.slice(i, i + 32), 'value');
}

/** Runs `restore` until the purge before it has finished (409 until then). */
async function restoreAfterPurge(restore, name) {
  await pollUntil(async () => {
    try {
      await restore();
      return true;
    } catch (err) {
      if (err.statusCode === 409) return false; // purge not finished yet
      throw err;
    }
  }, { timeoutMs: 10_000, intervalMs: 100, what: `${name} restored after purge` });
}

// What is written, so the sanity test can check the server really holds it.
const w = {};

/** The files the contract covers: everything but tls/ and dev-credentials.json. */
const covered = (rel) => !(rel === 'tls' || rel.startsWith('tls/') || rel === 'dev-credentials.json');
/** Audit and log files may name objects (DESIGN.md §2) but never hold values. */
const isAuditOrLog = (rel) => /^audit[^/]*\.jsonl$/.test(path.basename(rel)) || rel.endsWith('.log');
const appliesTo = (rel, needle) => !(isAuditOrLog(rel) && needle.kind === 'name');

const show = (needle) => (Buffer.isBuffer(needle) ? `0x${needle.toString('hex').slice(0, 40)}` : needle.slice(0, 40));
function describeFindings(findings) {
  return findings.slice(0, 20)
    .map((f) => `${f.file}: ${f.kind} ${show(f.needle)} as ${f.form} at ${f.offset}`)
    .join('\n');
}

before(async () => {
  server = await startServer();
  const dev = secretClient(server);

  // A vault created through the management plane; its name is an object name too.
  w.vault = `atrestVault${randomAlnum(12)}`; // 23 chars, starts with a letter
  addName(w.vault);
  await createVault(server, { name: w.vault, location: 'eastus' });
  const other = secretClient(server, w.vault.toLowerCase());

  const tagKey = `atrestTagKey${rnd()}`;
  const tagValue = `atrestTagValue${rnd()}`;
  const contentType = `application/x-atrest-${rnd()}`;
  addNeedle(tagKey, 'tag');
  addNeedle(tagValue, 'tag');
  addNeedle(contentType, 'contentType');

  // Several versions, with tags and a content type.
  w.multi = `atrestName${rnd()}`;
  w.multiValues = [`atrestValue${rnd()}`, `atrestValue${rnd()}`, `atrestValue${rnd()}`];
  addName(w.multi);
  for (const v of w.multiValues) {
    addValue(v);
    await dev.setSecret(w.multi, v, { tags: { [tagKey]: tagValue }, contentType });
  }

  // A long value (spans several database pages) and a disabled version.
  w.long = `atrestName${rnd()}`;
  w.longValue = `atrestValue${randomAlnum(20_000)}`;
  addName(w.long);
  addValue(w.longValue);
  const longSet = await dev.setSecret(w.long, w.longValue, { contentType });
  w.disabledValue = `atrestValue${rnd()}`;
  addValue(w.disabledValue);
  const disabled = await dev.setSecret(w.long, w.disabledValue);
  await dev.updateSecretProperties(w.long, disabled.properties.version, { enabled: false });
  w.longVersion = longSet.properties.version;

  // Soft-deleted and left deleted.
  w.deleted = `atrestName${rnd()}`;
  w.deletedValue = `atrestValue${rnd()}`;
  addName(w.deleted);
  addValue(w.deletedValue);
  await dev.setSecret(w.deleted, w.deletedValue, { tags: { [tagKey]: tagValue } });
  await (await dev.beginDeleteSecret(w.deleted, FAST)).pollUntilDone();

  // Backup → delete → purge → restore.
  w.restored = `atrestName${rnd()}`;
  w.restoredValues = [`atrestValue${rnd()}`, `atrestValue${rnd()}`];
  addName(w.restored);
  for (const v of w.restoredValues) {
    addValue(v);
    await dev.setSecret(w.restored, v, { tags: { [tagKey]: tagValue }, contentType });
  }
  const blob = await dev.backupSecret(w.restored);
  await (await dev.beginDeleteSecret(w.restored, FAST)).pollUntilDone();
  await dev.purgeDeletedSecret(w.restored);
  await restoreAfterPurge(() => dev.restoreSecretBackup(blob), w.restored);

  // In the management-created vault: two versions, and one deleted then recovered.
  w.inVault = `atrestName${rnd()}`;
  w.inVaultValues = [`atrestValue${rnd()}`, `atrestValue${rnd()}`];
  addName(w.inVault);
  for (const v of w.inVaultValues) {
    addValue(v);
    await other.setSecret(w.inVault, v, { tags: { [tagKey]: tagValue } });
  }
  w.recovered = `atrestName${rnd()}`;
  w.recoveredValue = `atrestValue${rnd()}`;
  addName(w.recovered);
  addValue(w.recoveredValue);
  await other.setSecret(w.recovered, w.recoveredValue, { contentType });
  await (await other.beginDeleteSecret(w.recovered, FAST)).pollUntilDone();
  await (await other.beginRecoverDeletedSecret(w.recovered, FAST)).pollUntilDone();
  w.dev = dev;
  w.other = other;

  // Keys imported with known private parts (RSA, EC, oct), used for operations, soft-deleted,
  // backed up, purged and restored. Their names are names; their private parts must never show.
  const keys = keyClient(server);
  const otherKeys = keyClient(server, w.vault.toLowerCase());
  const rsa = localRsa(2048);
  const ec = localEc('P-256');
  const octK = crypto.randomBytes(32);
  for (const part of ['d', 'p', 'q', 'dp', 'dq', 'qi']) addKeyMaterial(Buffer.from(rsa.jwk[part], 'base64url'));
  addKeyMaterial(Buffer.from(ec.jwk.d, 'base64url'));
  addKeyMaterial(octK);

  w.rsaKey = `atrestKey${rnd()}`;
  addName(w.rsaKey);
  const rsaOps = ['sign', 'verify', 'encrypt', 'decrypt', 'wrapKey', 'unwrapKey'];
  const rsaImported = await keys.importKey(w.rsaKey, nodeJwkToSdk(rsa.jwk, { keyOps: rsaOps }));
  const digest = crypto.createHash('sha256').update('atrest').digest();
  await cryptoClientFor(server, rsaImported).sign('RS256', digest);
  const rsaBlob = await keys.backupKey(w.rsaKey);
  await (await keys.beginDeleteKey(w.rsaKey, FAST)).pollUntilDone();
  await keys.purgeDeletedKey(w.rsaKey);
  await restoreAfterPurge(() => keys.restoreKeyBackup(rsaBlob), w.rsaKey);
  w.rsaN = rsa.jwk.n;

  w.ecKey = `atrestKey${rnd()}`;
  addName(w.ecKey);
  const ecImported = await otherKeys.importKey(w.ecKey, nodeJwkToSdk(ec.jwk, { keyOps: ['sign', 'verify'] }));
  await cryptoClientFor(server, ecImported).sign('ES256', digest);
  await (await otherKeys.beginDeleteKey(w.ecKey, FAST)).pollUntilDone();

  w.octKey = `atrestKey${rnd()}`;
  addName(w.octKey);
  const octImported = await keys.importKey(w.octKey, { kty: 'oct', k: new Uint8Array(octK), keyOps: ['wrapKey', 'unwrapKey'] });
  const wrapped = await cryptoClientFor(server, octImported).wrapKey('A256KW', crypto.randomBytes(32));
  await cryptoClientFor(server, octImported).unwrapKey('A256KW', wrapped.result);
  w.keys = keys;
  w.otherKeys = otherKeys;
});
after(async () => { await server?.remove(); });

describe('no plaintext at rest', () => {
  test('the server holds everything that was written', async () => {
    assert.equal((await w.dev.getSecret(w.multi)).value, w.multiValues[2]);
    assert.equal((await collect(w.dev.listPropertiesOfSecretVersions(w.multi))).length, 3);
    assert.equal((await w.dev.getSecret(w.long, { version: w.longVersion })).value, w.longValue);
    assert.equal((await w.dev.getDeletedSecret(w.deleted)).name, w.deleted);
    assert.equal((await w.dev.getSecret(w.restored)).value, w.restoredValues[1]);
    assert.equal((await collect(w.dev.listPropertiesOfSecretVersions(w.restored))).length, 2);
    assert.equal((await w.other.getSecret(w.inVault)).value, w.inVaultValues[1]);
    assert.equal((await w.other.getSecret(w.recovered)).value, w.recoveredValue);
    assert.equal(Buffer.from((await w.keys.getKey(w.rsaKey)).key.n).toString('base64url'), w.rsaN);
    assert.equal((await w.otherKeys.getDeletedKey(w.ecKey)).name, w.ecKey);
    assert.equal((await w.keys.getKey(w.octKey)).keyType, 'oct');
    assert.ok(needles.length >= 60, `only ${needles.length} needles`);
    assert.ok(needles.filter((n) => n.kind === 'key material').length >= 10, 'key material needles');
  });

  test('the server log holds no value and no key material', () => {
    const log = Buffer.from(server.stderr(), 'utf8');
    assert.ok(log.length > 0, 'the server wrote no log at all');
    const findings = [];
    for (const n of needles.filter((x) => x.kind !== 'name')) {
      for (const [form, bytes] of needleForms(n.text)) {
        if (log.indexOf(bytes) !== -1) findings.push({ file: 'stderr', needle: n.text, kind: n.kind, form, offset: log.indexOf(bytes) });
      }
    }
    assert.deepEqual(findings, [], `found in the server log:\n${describeFindings(findings)}`);
  });

  test('while the server runs, no covered file holds a name or value', (t) => {
    const { files, findings } = scanDir(server.dataDir, needles, { include: covered, appliesTo });
    t.diagnostic(`scanned ${files.join(', ')} for ${needles.length} needles`);
    assert.ok(files.some((f) => /\.db$/.test(f)), `no database file scanned: ${files.join(', ')}`);
    assert.deepEqual(findings, [], `plaintext found while running:\n${describeFindings(findings)}`);
  });

  test('after SIGTERM, no covered file holds a name or value', async (t) => {
    const info = await server.stop('SIGTERM');
    assert.ok(info, 'the server exited');
    const { files, findings } = scanDir(server.dataDir, needles, { include: covered, appliesTo });
    t.diagnostic(`scanned ${files.join(', ')}`);
    assert.ok(files.some((f) => /\.db$/.test(f)), `no database file scanned: ${files.join(', ')}`);
    assert.deepEqual(findings, [], `plaintext found after stop:\n${describeFindings(findings)}`);
  });

  test('the scanner finds needles planted in a copy of the data dir', () => {
    const copy = freshDataDir('atrest-planted');
    try {
      fs.cpSync(server.dataDir, copy, { recursive: true });
      const noise = (n) => crypto.randomBytes(n);
      const value = w.multiValues[0];
      const planted = {
        'planted-hex.bin': Buffer.concat([noise(37), Buffer.from(Buffer.from(value).toString('hex')), noise(5)]),
        'planted-HEX.bin': Buffer.from(Buffer.from(w.deletedValue).toString('hex').toUpperCase()),
        'planted-utf16be.bin': Buffer.concat([noise(3), Buffer.from(w.recoveredValue, 'utf16le').swap16()]),
        'planted-lower-vault-name.bin': Buffer.from(`x${w.vault.toLowerCase()}x`),
        'sub/dir/planted-name.bin': Buffer.from(w.inVault),
        'planted-key-raw.bin': Buffer.concat([noise(11), needles.find((n) => n.kind === 'key material').text, noise(7)]),
      };
      // Base64 of a value embedded at each of the three byte alignments, in both alphabets.
      for (let k = 0; k < 3; k += 1) {
        const inner = Buffer.concat([noise(k + 3), Buffer.from(w.restoredValues[0]), noise(k + 1)]);
        planted[`planted-b64-${k}.bin`] = Buffer.from(inner.toString('base64'));
        planted[`planted-b64url-${k}.bin`] = Buffer.from(inner.toString('base64url'));
      }
      for (const [rel, bytes] of Object.entries(planted)) {
        fs.mkdirSync(path.dirname(path.join(copy, rel)), { recursive: true });
        fs.writeFileSync(path.join(copy, rel), bytes);
      }
      // A value planted inside tls/ is out of scope and must not be reported.
      fs.writeFileSync(path.join(copy, 'tls', 'planted.bin'), value);

      const { findings } = scanDir(copy, needles, { include: covered, appliesTo });
      const byFile = new Map();
      for (const f of findings) byFile.set(f.file, [...(byFile.get(f.file) ?? []), f]);
      for (const rel of Object.keys(planted)) {
        assert.ok(byFile.has(rel), `planted ${rel} was not found`);
      }
      assert.ok(byFile.get('planted-hex.bin').some((f) => f.needle === value && f.form === 'hex'));
      assert.ok(byFile.get('planted-HEX.bin').some((f) => f.form === 'HEX'));
      assert.ok(byFile.get('planted-utf16be.bin').some((f) => f.form === 'utf16be'));
      assert.ok(byFile.get('planted-lower-vault-name.bin').some((f) => f.kind === 'name'));
      assert.ok(byFile.get('planted-key-raw.bin').some((f) => f.kind === 'key material' && f.form === 'plain'));
      const unexpected = [...byFile.keys()].filter((rel) => !(rel in planted));
      assert.deepEqual(unexpected, [], 'only the planted files are reported');

      // An audit file may name objects but not hold values.
      fs.writeFileSync(path.join(copy, 'audit-1.jsonl'), `{"object":"${w.multi}"}\n`);
      fs.writeFileSync(path.join(copy, 'audit-2.jsonl'), `{"value":"${value}"}\n`);
      const audit = scanDir(copy, needles, { include: (rel) => rel.startsWith('audit-'), appliesTo });
      assert.deepEqual([...new Set(audit.findings.map((f) => f.file))], ['audit-2.jsonl']);
    } finally {
      if (!process.env.COFFER_KEEP_DATA) fs.rmSync(copy, { recursive: true, force: true });
    }
  });
});
