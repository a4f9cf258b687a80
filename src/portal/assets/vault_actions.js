// A vault's own actions, shown on its tabs: whole-vault backup (the job's progress, then the
// archive downloaded as <vault>-<yyyymmdd>.coffer-backup), whole-vault restore into an empty
// vault, restore of selected objects from an archive into any vault (PUT /restore?objects=…:
// names in use come back as conflicts, never overwritten), and Delete vault.
import { ARM_API, arm, data, dataRaw, vaults } from './api.js';
import { count, download, filePicker, guard, h, notify, render, today, toggled } from './ui.js';

// The server's PUT /restore body cap (256 MiB); a larger archive is refused before sending.
const MAX_ARCHIVE_BYTES = 256 * 1024 * 1024;

// Polls a whole-vault job (`backup` or `restore`) until it ends, reporting each status.
async function waitForJob(vault, kind, jobId, report) {
  for (;;) {
    const job = await data(vault, 'GET', `${kind}/${encodeURIComponent(jobId)}/pending`);
    report(job);
    if (job.status !== 'InProgress') return job;
    await new Promise((r) => setTimeout(r, 300));
  }
}

async function backupVault(vault, progress) {
  progress('Backup started…');
  const started = await data(vault, 'POST', 'backup');
  const job = await waitForJob(vault, 'backup', started.jobId, (j) =>
    progress(`Backup ${j.status}: ${count(j.objects, 'object')}, ${count(j.bytes, 'byte')}${j.statusDetails ? ` (${j.statusDetails})` : ''}`));
  if (job.status !== 'Succeeded') throw new Error(job.error?.message ?? `The backup ${job.status.toLowerCase()}.`);
  progress(`Downloading ${job.bytes} bytes…`);
  const bytes = new Uint8Array(await (await dataRaw(vault, 'GET', `backup/${encodeURIComponent(job.jobId)}/content`)).arrayBuffer());
  const file = `${vault}-${today()}.coffer-backup`;
  download(bytes, file);
  progress(`Backed up ${count(job.objects, 'object')} (${count(bytes.length, 'byte')}) to ${file}.`);
}

// "secrets/a, keys/b" or one per line → ["secrets/a", "keys/b"]; an Error naming a bad entry.
export function parseSelection(text) {
  const items = text.split(/[\n,]/).map((s) => s.trim()).filter(Boolean);
  for (const item of items) {
    if (!/^(secrets|keys|certificates)\/[0-9A-Za-z-]+$/.test(item)) {
      throw new Error(`"${item}" is not an object: write secrets/<name>, keys/<name> or certificates/<name>. Nothing was sent.`);
    }
  }
  if (!items.length) throw new Error('Name at least one object to restore (secrets/<name>, keys/<name> or certificates/<name>). Nothing was sent.');
  return items;
}

// Uploads an archive and follows the restore job; `selection` (a list) restores only those.
async function restoreVault(vault, file, progress, selection = null) {
  if (file.size > MAX_ARCHIVE_BYTES) {
    throw new Error(`${file.name} is ${file.size} bytes; a vault archive uploaded here is at most ${MAX_ARCHIVE_BYTES} bytes (use \`coffer vault restore\` for larger ones). Nothing was sent.`);
  }
  progress(`Uploading ${file.name} (${file.size} bytes)…`);
  const query = selection ? `restore?objects=${encodeURIComponent(selection.join(','))}` : 'restore';
  const started = await (await dataRaw(vault, 'PUT', query, await file.arrayBuffer())).json();
  const job = await waitForJob(vault, 'restore', started.jobId, (j) =>
    progress(`Restore ${j.status}: ${j.restored ?? 0} restored${j.statusDetails ? ` (${j.statusDetails})` : ''}`));
  if (job.status !== 'Succeeded') throw new Error(job.error?.message ?? `The restore ${job.status.toLowerCase()}.`);
  const conflicts = (job.conflicts ?? []).map((c) => `${c.kind} ${c.name}: ${c.reason}`);
  progress(`Restored ${count(job.restored, 'object')} into ${vault}.${conflicts.length ? ` Not restored: ${conflicts.join('; ')}` : ''}`);
}

// The actions bar and its areas (progress in a live region, the selective restore form).
export function vaultActions(vault, v) {
  const progress = h('p', { id: 'vault-progress', role: 'status', 'aria-live': 'polite' });
  const report = (t) => { progress.textContent = t; };
  // After a restore the page is drawn again with the job's last word kept.
  const restoreThen = async (run) => {
    await run();
    const text = progress.textContent;
    await render();
    const again = document.getElementById('vault-progress');
    if (again) again.textContent = text;
  };
  const selectArea = h('div', { id: 'restore-selected' });
  const selective = h('button', { type: 'button', 'aria-expanded': 'false', onclick: () => toggleSelective(selective, selectArea, vault, report, restoreThen) },
    'Restore selected objects');
  // A whole restore into a vault that is not empty is refused (409, the server's message shown):
  // the selective form opens, as the way to take objects from the archive into this vault.
  const archive = filePicker('vault-archive', '.coffer-backup', async (f) => {
    try {
      await restoreThen(() => restoreVault(vault, f, report));
    } catch (e) {
      if (e.status === 409 && selective.getAttribute('aria-expanded') !== 'true') {
        toggleSelective(selective, selectArea, vault, report, restoreThen);
        report('');
      }
      throw e;
    }
  });
  const confirmArea = h('span');
  const bar = h('div', { class: 'actions', role: 'group', 'aria-label': 'Vault' },
    h('button', { type: 'button', onclick: () => guard(() => backupVault(vault, report)) }, 'Back up vault'),
    h('button', { type: 'button', onclick: () => archive.click() }, 'Restore vault'), archive, selective,
    h('button', { type: 'button', class: 'danger', onclick: () => {
      confirmArea.replaceChildren(h('button', { type: 'button', class: 'danger', onclick: () => guard(async () => {
        await arm('DELETE', `${v.id}?${ARM_API}`);
        vaults.delete(vault);
        location.hash = '#/';
        notify(`Deleted vault ${vault}.`);
      }) }, `Confirm delete of vault ${vault}`));
      confirmArea.querySelector('button').focus();
    } }, 'Delete vault'), confirmArea);
  return h('div', {}, bar, progress, selectArea);
}

// The selective restore form: the objects to take (the archive's contents are encrypted, so
// they are named here; a name the archive lacks is refused by the server), then the archive.
function toggleSelective(button, area, vault, report, restoreThen) {
  if (toggled(button, area)) return;
  const objects = h('textarea', { id: 'restore-objects', rows: 3, 'aria-describedby': 'restore-objects-hint' });
  let selection = [];
  const picker = filePicker('restore-selected-file', '.coffer-backup',
    (f) => restoreThen(() => restoreVault(vault, f, report, selection)));
  const form = h('form', {},
    h('h2', {}, 'Restore selected objects'),
    h('label', { for: 'restore-objects' }, 'Objects'), objects,
    h('p', { class: 'hint', id: 'restore-objects-hint' },
      'One per line or comma-separated: secrets/<name>, keys/<name>, certificates/<name> (a certificate brings its key and secret). ' +
      'Names already in this vault, live or deleted, are reported and left as they are.'),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Choose archive and restore'), picker));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    guard(async () => {
      selection = parseSelection(objects.value);
      picker.click();
    });
  });
  area.replaceChildren(form);
  objects.focus();
}
