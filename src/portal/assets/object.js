// An object's page: its latest version's attributes, its versions, Download Backup (the raw
// blob as <vault>-<name>-<yyyymmdd>.keyvault), a certificate's CER and PEM, a secret's value only
// on an explicit click, New version (secrets), Enable/Disable of the latest version, tags and
// dates (nbf/exp) of any version, and Delete.
import { data, dataNext, listAll, vaultResource } from './api.js';
import {
  b64ToBytes, b64urlToBytes, crumbs, download, fromLocalInput, guard, h, notify, page, pemOf, render, tabs,
  toLocalInput, today, toggleForm, vaultHref, versionOf, when,
} from './ui.js';
import { KINDS } from './objects.js';

const tagText = (tags) => Object.entries(tags ?? {}).map(([t, v]) => `${t}=${v}`).join('\n');

// "a=1\nb=2" (or comma-separated) → {a: "1", b: "2"}; an Error naming a line without "=".
export function parseTags(text) {
  const tags = {};
  for (const line of text.split(/[\n,]/).map((s) => s.trim()).filter(Boolean)) {
    const eq = line.indexOf('=');
    if (eq <= 0) throw new Error(`Tag "${line}" is not name=value. Nothing was sent.`);
    tags[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
  }
  return tags;
}

function attributesList(obj) {
  const a = obj.attributes ?? {};
  const rows = [
    ['Enabled', a.enabled === false ? 'No' : 'Yes'], ['Created', when(a.created)], ['Updated', when(a.updated)],
    ['Not before', when(a.nbf)], ['Expires', when(a.exp)], ['Recovery level', a.recoveryLevel ?? '—'],
    ['Content type', obj.contentType], ['Key type', obj.key?.kty], ['Key operations', obj.key?.key_ops?.join(', ')],
    ['Thumbprint', obj.x5t], ['Managed', obj.managed ? 'Yes' : undefined],
    ['Tags', obj.tags && Object.keys(obj.tags).length ? Object.entries(obj.tags).map(([t, v]) => `${t}=${v}`).join(', ') : undefined],
  ].filter(([, v]) => v !== undefined && v !== null);
  return h('dl', {}, rows.flatMap(([t, v]) => [h('dt', {}, t), h('dd', {}, v)]));
}

// The edit form of one version: PATCH {kind}/{name}/{version} with its tags and dates (an
// emptied date is sent as null, which clears it), and a secret's content type.
function editVersion(button, area, vault, kind, name, ver) {
  const version = versionOf(ver.id ?? ver.kid);
  const a = ver.attributes ?? {};
  const fields = [
    { id: 'edit-tags', label: 'Tags', rows: 3, value: tagText(ver.tags), hint: 'One name=value per line; empty removes every tag.' },
    { id: 'edit-nbf', label: 'Not before (UTC)', type: 'datetime-local', value: toLocalInput(a.nbf), optional: true },
    { id: 'edit-exp', label: 'Expires (UTC)', type: 'datetime-local', value: toLocalInput(a.exp), optional: true },
  ];
  if (kind === 'secrets') fields.push({ id: 'edit-content-type', label: 'Content type', value: ver.contentType ?? '', optional: true });
  toggleForm(button, area, `Tags and dates of version ${version}`, fields, 'Save', async (v) => {
    const body = { tags: parseTags(v['edit-tags']), attributes: { nbf: fromLocalInput(v['edit-nbf']), exp: fromLocalInput(v['edit-exp']) } };
    if (kind === 'secrets') body.contentType = v['edit-content-type'];
    await data(vault, 'PATCH', `${kind}/${encodeURIComponent(name)}/${version}`, body);
    await render();
    notify(`Saved the tags and dates of version ${version} of ${name}.`);
  });
}

export async function objectPage(vault, kind, name) {
  const k = KINDS[kind];
  crumbs(['Vaults', '#/'], [vault, vaultHref(vault, kind)], [name]);
  await vaultResource(vault);
  const path = `${kind}/${encodeURIComponent(name)}`;
  // A secret's value only on an explicit click: its page reads the versions, not the value.
  const current = kind === 'secrets' ? null : await data(vault, 'GET', path);
  const versions = await listAll(() => data(vault, 'GET', `${path}/versions`), dataNext);
  versions.sort((x, y) => (y.attributes?.created ?? 0) - (x.attributes?.created ?? 0));
  // A secret's latest version: its id from GET (the value is dropped at once, never shown); a
  // latest version that cannot be read is disabled, so then the newest disabled one (versions
  // made in the same second tie on their creation time).
  let latest = current ?? versions[0] ?? {};
  if (kind === 'secrets' && versions.length) {
    let latestId = null;
    try {
      latestId = (await data(vault, 'GET', path)).id;
    } catch { /* disabled */ }
    latest = versions.find((x) => x.id === latestId) ?? versions.find((x) => x.attributes?.enabled === false) ?? latest;
  }
  const valueArea = h('div', { id: 'secret-value' });
  const formArea = h('div', { id: 'version-form' });
  const latestVersion = versionOf(latest.id ?? latest.kid ?? latest.key?.kid);
  const enabled = latest.attributes?.enabled !== false;
  const confirmArea = h('span');
  const actions = h('div', { class: 'actions' },
    h('button', { type: 'button', class: 'primary', onclick: () => guard(async () => {
      const blob = await data(vault, 'POST', `${path}/backup`);
      download(b64urlToBytes(blob.value), `${vault}-${name}-${today()}.keyvault`);
      notify(`Downloaded the backup of ${k.one} ${name}.`);
    }) }, 'Download Backup'),
    kind === 'certificates' && current?.cer ? [
      h('button', { type: 'button', onclick: () => download(b64ToBytes(current.cer), `${name}.cer`) }, 'Download CER'),
      h('button', { type: 'button', onclick: () => download(new TextEncoder().encode(pemOf(current.cer)), `${name}.pem`) }, 'Download PEM'),
    ] : null,
    kind === 'secrets' ? h('button', { type: 'button', onclick: () => guard(async () => {
      const s = await data(vault, 'GET', path);
      valueArea.replaceChildren(h('h2', {}, 'Value'), h('div', { class: 'value' }, s.value ?? ''));
    }) }, 'Show value') : null,
    kind === 'secrets' ? h('button', { type: 'button', 'aria-expanded': 'false', onclick: (e) => toggleForm(e.currentTarget, formArea,
      'New version', [{ id: 'version-value', label: 'Value', type: 'password' }], 'Save version', async (values) => {
        await data(vault, 'PUT', path, { value: values['version-value'] });
        await render();
        notify(`Saved a new version of ${name}.`);
      }) }, 'New version') : null,
    latestVersion ? h('button', { type: 'button', onclick: () => guard(async () => {
      await data(vault, 'PATCH', `${path}/${latestVersion}`, { attributes: { enabled: !enabled } });
      await render();
      notify(`${enabled ? 'Disabled' : 'Enabled'} the latest version of ${name}.`);
    }) }, enabled ? 'Disable' : 'Enable') : null,
    h('button', { type: 'button', class: 'danger', onclick: () => {
      confirmArea.replaceChildren(h('button', { type: 'button', class: 'danger', onclick: () => guard(async () => {
        await data(vault, 'DELETE', path);
        location.hash = vaultHref(vault, kind);
        notify(`Deleted ${k.one} ${name}.`);
      }) }, `Confirm delete of ${name}`));
      confirmArea.querySelector('button').focus();
    } }, 'Delete'), confirmArea);
  page(`${k.one[0].toUpperCase()}${k.one.slice(1)} ${name}`,
    tabs(vault, kind), actions, formArea, valueArea,
    h('h2', {}, 'Attributes'), attributesList(latest),
    h('h2', {}, 'Versions'),
    h('table', { id: 'versions' },
      h('thead', {}, h('tr', {}, ['Version', 'Enabled', 'Created', 'Not before', 'Expires', 'Tags', ''].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, versions.map((ver) => {
        const version = versionOf(ver.id ?? ver.kid);
        return h('tr', {},
          h('td', {}, version),
          h('td', {}, ver.attributes?.enabled === false ? 'No' : 'Yes'),
          h('td', {}, when(ver.attributes?.created)),
          h('td', {}, when(ver.attributes?.nbf)), h('td', {}, when(ver.attributes?.exp)),
          h('td', {}, tagText(ver.tags).replace(/\n/g, ', ')),
          h('td', { class: 'actions' }, h('button', {
            type: 'button', 'aria-expanded': 'false', 'aria-label': `Edit tags and dates of version ${version}`,
            onclick: (e) => editVersion(e.currentTarget, formArea, vault, kind, name, ver),
          }, 'Edit')));
      }))));
}
