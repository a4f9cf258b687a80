// A vault's Secrets, Keys and Certificates tabs: a page of objects at a time (the API's
// maxresults and nextLink, Previous/Next), search over all of them, New …, Restore Backup of a
// per-object blob, the deleted objects with Recover and Purge (no Purge where purge protection
// forbids it; the scheduled purge date shown), and the vault's own actions (vault_actions.js).
import { data, dataNext, listAll, vaults, vaultResource } from './api.js';
import {
  bytesToB64url, crumbs, guard, h, nameOf, notify, page, render, showError, tabs, toggleForm, toggled, vaultHref, when,
  filePicker,
} from './ui.js';
import { vaultActions } from './vault_actions.js';

export const KINDS = {
  secrets: { label: 'Secrets', one: 'secret', deleted: 'deletedsecrets' },
  keys: { label: 'Keys', one: 'key', deleted: 'deletedkeys' },
  certificates: { label: 'Certificates', one: 'certificate', deleted: 'deletedcertificates' },
};
// The server's per-object backup blob cap (64 MiB): a larger file is refused before sending.
const MAX_BLOB_BYTES = 64 * 1024 * 1024;
// The page sizes offered; the API allows maxresults 1–25.
const PAGE_SIZES = [5, 10, 25];
let pageSize = 25;  // kept across pages and tabs

export const objectHref = (vault, kind, name) => `${vaultHref(vault, kind)}/${encodeURIComponent(name)}`;

// What "New …" asks for and sends, per kind (AZURE_API.md: set secret, create key with its type
// and curve or size, create a Self-issued certificate with its validity, key and secret format).
const CREATE = {
  secrets: {
    fields: [{ id: 'new-name', label: 'Name' }, { id: 'new-value', label: 'Value', type: 'password' },
      { id: 'new-content-type', label: 'Content type', optional: true }],
    send: (vault, v) => data(vault, 'PUT', `secrets/${encodeURIComponent(v['new-name'])}`,
      { value: v['new-value'], ...(v['new-content-type'] ? { contentType: v['new-content-type'] } : {}) }),
  },
  keys: {
    fields: [{ id: 'new-name', label: 'Name' }, { id: 'new-kty', label: 'Key type', options: ['EC', 'RSA'] },
      { id: 'new-curve', label: 'EC curve', options: ['P-256', 'P-384', 'P-521', 'P-256K'] },
      { id: 'new-size', label: 'RSA key size', options: ['2048', '3072', '4096'] }],
    send: (vault, v) => data(vault, 'POST', `keys/${encodeURIComponent(v['new-name'])}/create`,
      v['new-kty'] === 'EC' ? { kty: 'EC', crv: v['new-curve'] } : { kty: 'RSA', key_size: Number(v['new-size']) }),
  },
  certificates: {
    fields: [{ id: 'new-name', label: 'Name' }, { id: 'new-subject', label: 'Subject', value: 'CN=example.com' },
      { id: 'new-validity', label: 'Validity (months)', type: 'number', value: '12' },
      { id: 'new-cert-kty', label: 'Key', options: [['RSA-2048', 'RSA 2048'], ['RSA-4096', 'RSA 4096'], ['EC-P-256', 'EC P-256'], ['EC-P-384', 'EC P-384']] },
      { id: 'new-format', label: 'Secret format', options: [['application/x-pkcs12', 'PKCS#12'], ['application/x-pem-file', 'PEM']] }],
    send: (vault, v) => {
      const [kty, ...rest] = v['new-cert-kty'].split('-');
      const key = kty === 'EC' ? { kty, crv: rest.join('-') } : { kty, key_size: Number(rest[0]) };
      return data(vault, 'POST', `certificates/${encodeURIComponent(v['new-name'])}/create`, {
        policy: {
          issuer: { name: 'Self' },
          x509_props: { subject: v['new-subject'], validity_months: Number(v['new-validity']) },
          key_props: { ...key, exportable: true, reuse_key: false },
          secret_props: { contentType: v['new-format'] },
        },
      });
    },
  },
};

// Restores a per-object blob (the raw bytes of a file) into `vault`; the restored name.
async function restoreFrom(vault, kind, file) {
  if (file.size > MAX_BLOB_BYTES) {
    throw new Error(`${file.name} is ${file.size} bytes; a backup blob is at most ${MAX_BLOB_BYTES} bytes. Nothing was sent.`);
  }
  const value = bytesToB64url(new Uint8Array(await file.arrayBuffer()));
  const restored = await data(vault, 'POST', `${kind}/restore`, { value });
  const id = restored.id ?? restored.kid ?? restored.key?.kid;
  return id ? nameOf(id) : '';
}

export async function objectListPage(vault, kind) {
  const k = KINDS[kind];
  crumbs(['Vaults', '#/'], [vault]);
  const v = await vaultResource(vault);
  // The first page. A list the caller may not read still shows the vault's page (its error
  // above it), so the vault can be deleted or its backups restored by someone who may.
  let current = { value: [] };
  let listError = null;
  try {
    current = await data(vault, 'GET', `${kind}?maxresults=${pageSize}`);
  } catch (e) {
    listError = e;
  }
  const previous = [];  // the pages before the current one, for Previous
  let everything = null;  // all items, loaded on the first search

  const body = h('tbody');
  const table = h('table', {},
    h('thead', {}, h('tr', {}, ['Name', 'Status', 'Updated', 'Expires'].map((t) => h('th', { scope: 'col' }, t)))), body);
  const empty = h('p', {});
  const status = h('span', { id: 'page-status', 'aria-live': 'polite' });
  const prev = h('button', { type: 'button', onclick: () => guard(async () => { current = previous.pop(); show(); }) }, 'Previous page');
  const next = h('button', { type: 'button', onclick: () => guard(async () => {
    const page2 = await dataNext(current.nextLink);
    previous.push(current);
    current = page2;
    show();
  }) }, 'Next page');
  const size = h('select', { id: 'page-size', onchange: () => guard(async () => {
    pageSize = Number(size.value);
    await render();
  }) }, PAGE_SIZES.map((n) => h('option', { value: n, selected: n === pageSize }, String(n))));
  const filter = h('input', { id: 'filter', type: 'search', 'aria-label': `Search ${k.label.toLowerCase()}` });
  const paging = h('div', { class: 'actions', role: 'group', 'aria-label': 'Pages' },
    prev, status, next, h('label', { for: 'page-size' }, 'Per page'), size);

  const row = (it) => {
    const name = nameOf(it.id ?? it.kid);
    return h('tr', {},
      h('td', {}, h('a', { href: objectHref(vault, kind, name) }, name)),
      h('td', {}, it.attributes?.enabled === false ? 'Disabled' : 'Enabled'),
      h('td', {}, when(it.attributes?.updated)),
      h('td', {}, when(it.attributes?.exp)));
  };
  // Shows the current page, or the matches among all objects while a search is typed.
  function show() {
    const q = filter.value.trim().toLowerCase();
    const items = q && everything
      ? everything.filter((it) => nameOf(it.id ?? it.kid).toLowerCase().includes(q))
      : (current.value ?? []);
    body.replaceChildren(...items.map(row));
    table.hidden = items.length === 0;
    empty.hidden = items.length !== 0;
    empty.textContent = listError ? `Could not list the ${k.label.toLowerCase()}.`
      : q ? `No ${k.label.toLowerCase()} match "${filter.value.trim()}".` : `No ${k.label.toLowerCase()}.`;
    paging.hidden = Boolean(q) || listError !== null;
    prev.disabled = previous.length === 0;
    next.disabled = !current.nextLink;
    status.textContent = q ? '' : `Page ${previous.length + 1}`;
  }
  filter.addEventListener('input', () => guard(async () => {
    if (filter.value.trim() && !everything) {
      everything = await listAll(() => data(vault, 'GET', `${kind}?maxresults=25`), dataNext, 5000);
    }
    show();
  }));

  const restoreFile = filePicker('restore-file', '.keyvault', async (f) => {
    const name = await restoreFrom(vault, kind, f);
    location.hash = objectHref(vault, kind, name);
    await render();
    notify(`Restored ${k.one} ${name} from ${f.name}.`);
  });
  const deletedArea = h('div', { id: 'deleted' });
  const createArea = h('div', { id: 'create' });
  const vaultArea = vaultActions(vault, v);
  page(`${vault}: ${k.label}`,
    h('p', { class: 'hint' }, `${v?.location ?? ''} · ${v?.properties?.vaultUri ?? ''}`),
    tabs(vault, kind),
    h('div', { class: 'actions' },
      h('button', { type: 'button', class: 'primary', 'aria-expanded': 'false', onclick: (e) => toggleForm(e.currentTarget, createArea,
        `New ${k.one}`, CREATE[kind].fields, 'Create', async (values) => {
          await CREATE[kind].send(vault, values);
          location.hash = objectHref(vault, kind, values['new-name']);
          notify(`Created ${k.one} ${values['new-name']}.`);
        }) }, `New ${k.one}`),
      h('label', { for: 'filter' }, 'Search'), filter,
      h('button', { type: 'button', onclick: () => restoreFile.click() }, 'Restore Backup'), restoreFile,
      h('button', { type: 'button', 'aria-expanded': 'false', onclick: (e) => guard(() => toggleDeleted(e.currentTarget, vault, kind, deletedArea)) },
        `Deleted ${k.label.toLowerCase()}`)),
    vaultArea, createArea, deletedArea, table, empty, paging);
  show();
  if (listError) showError(listError.message);
}

// Purge is offered only where it can succeed: not under the vault's purge protection, and not
// for an object whose recovery level says it is not purgeable.
function purgeable(vault, item) {
  if (vaults.get(vault)?.properties?.enablePurgeProtection === true) return false;
  const level = item.attributes?.recoveryLevel;
  return !level || level.includes('Purgeable');
}

async function toggleDeleted(button, vault, kind, area) {
  if (toggled(button, area)) return;
  button.setAttribute('aria-expanded', 'false');  // until the list has loaded
  const k = KINDS[kind];
  const items = await listAll(() => data(vault, 'GET', k.deleted), dataNext);
  button.setAttribute('aria-expanded', 'true');
  const anyPurge = items.some((it) => purgeable(vault, it));
  area.replaceChildren(h('h2', {}, `Deleted ${k.label.toLowerCase()}`),
    anyPurge || !items.length ? null : h('p', { class: 'hint' }, 'Purge protection is on: deleted objects are purged only on their scheduled purge date.'),
    items.length ? h('table', {},
      h('thead', {}, h('tr', {}, ['Name', 'Deleted', 'Scheduled purge', ''].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, items.map((it) => {
        const name = nameOf(it.recoveryId ?? it.id ?? it.kid);
        return h('tr', {},
          h('td', {}, name), h('td', {}, when(it.deletedDate)), h('td', {}, when(it.scheduledPurgeDate)),
          h('td', { class: 'actions' },
            h('button', { type: 'button', 'aria-label': `Recover ${name}`, onclick: () => guard(async () => {
              await data(vault, 'POST', `${k.deleted}/${encodeURIComponent(name)}/recover`);
              await render();
              notify(`Recovered ${k.one} ${name}.`);
            }) }, 'Recover'),
            purgeable(vault, it) ? h('button', { type: 'button', class: 'danger', 'aria-label': `Purge ${name}`, onclick: () => guard(async () => {
              await data(vault, 'DELETE', `${k.deleted}/${encodeURIComponent(name)}`);
              await render();
              notify(`Purged ${k.one} ${name}.`);
            }) }, 'Purge') : null));
      }))) : h('p', {}, `No deleted ${k.label.toLowerCase()}.`));
}
