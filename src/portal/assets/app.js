// Coffer portal (CONTRACT.md "Portal"): a page with no framework and no inline code. It signs in
// with the dev client (POST /portal/dev-token, dev mode only) or with a client id and secret
// (the token endpoint), keeps its tokens in memory only, and calls the same REST API as the
// SDKs: the management plane on its own origin, each vault's data plane on
// https://<vault>.vault.localhost:<port> (CORS for this origin only). Every error shows the
// server's own message.
const DATA_API = 'api-version=7.5';
const ARM_API = 'api-version=2023-07-01';
const SUB_API = 'api-version=2022-12-01';
const DATA_SCOPE = 'https://vault.localhost/.default';
const MGMT_SCOPE = 'https://management.localhost/.default';
// The per-object backup blob cap of the server (64 MiB); larger files are refused here.
const MAX_BLOB_BYTES = 64 * 1024 * 1024;
// The server's PUT /restore body cap (256 MiB).
const MAX_ARCHIVE_BYTES = 256 * 1024 * 1024;
const KINDS = {
  secrets: { label: 'Secrets', one: 'secret', deleted: 'deletedsecrets' },
  keys: { label: 'Keys', one: 'key', deleted: 'deletedkeys' },
  certificates: { label: 'Certificates', one: 'certificate', deleted: 'deletedcertificates' },
};

const tokens = { data: null, management: null };  // memory only, never Web Storage
const vaults = new Map();                          // name → ARM vault resource

const $ = (id) => document.getElementById(id);

// h('button', {type: 'button', onclick: f}, 'Text', child …): an element, text as text nodes.
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'text') el.textContent = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

function showError(message) {
  const box = $('error');
  box.textContent = message;
  box.hidden = !message;
}

function notify(message) {
  const box = $('notice');
  box.textContent = message;
  box.hidden = !message;
}

// The server's message from an error answer: Key Vault / ARM {"error": {"message"}}, OAuth
// {"error_description"}, or the text itself.
async function serverMessage(resp) {
  const text = await resp.text();
  try {
    const j = JSON.parse(text);
    if (j.error && typeof j.error === 'object' && j.error.message) return j.error.message;
    if (j.error_description) return j.error_description;
    if (j.message) return j.message;
  } catch { /* not JSON */ }
  return text || `${resp.status} ${resp.statusText}`;
}

class ApiError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

async function call(method, url, { token, body } = {}) {
  const headers = {};
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let resp;
  try {
    resp = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (e) {
    throw new ApiError(0, `Could not reach ${new URL(url).host}: ${e.message}`);
  }
  if (!resp.ok) throw new ApiError(resp.status, await serverMessage(resp));
  if (resp.status === 204) return null;
  const text = await resp.text();
  return text ? JSON.parse(text) : null;
}

const arm = (method, path, body) => call(method, `${location.origin}${path}`, { token: tokens.management, body });
const data = (vault, method, path, body) => {
  const base = vaults.get(vault)?.properties?.vaultUri ?? `https://${vault}.vault.localhost:${location.port}/`;
  const sep = path.includes('?') ? '&' : '?';
  return call(method, `${base.replace(/\/$/, '')}/${path}${sep}${DATA_API}`, { token: tokens.data, body });
};

// A data-plane request whose body or answer is not JSON (whole-vault archives).
async function dataRaw(vault, method, path, body) {
  const base = (vaults.get(vault)?.properties?.vaultUri ?? `https://${vault}.vault.localhost:${location.port}/`).replace(/\/$/, '');
  const headers = { Authorization: `Bearer ${tokens.data}` };
  if (body !== undefined) headers['Content-Type'] = 'application/octet-stream';
  let resp;
  try {
    resp = await fetch(`${base}/${path}${path.includes('?') ? '&' : '?'}${DATA_API}`, { method, headers, body });
  } catch (e) {
    throw new ApiError(0, `Could not reach ${new URL(base).host}: ${e.message}`);
  }
  if (!resp.ok) throw new ApiError(resp.status, await serverMessage(resp));
  return resp;
}

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
  const day = new Date().toISOString().slice(0, 10).replace(/-/g, '');
  download(bytes, `${vault}-${day}.coffer-backup`);
  progress(`Backed up ${count(job.objects, 'object')} (${count(bytes.length, 'byte')}) to ${vault}-${day}.coffer-backup.`);
}

async function restoreVault(vault, file, progress) {
  if (file.size > MAX_ARCHIVE_BYTES) {
    throw new Error(`${file.name} is ${file.size} bytes; a vault archive uploaded here is at most ${MAX_ARCHIVE_BYTES} bytes (use \`coffer vault restore\` for larger ones). Nothing was sent.`);
  }
  progress(`Uploading ${file.name} (${file.size} bytes)…`);
  const started = await (await dataRaw(vault, 'PUT', 'restore', await file.arrayBuffer())).json();
  const job = await waitForJob(vault, 'restore', started.jobId, (j) =>
    progress(`Restore ${j.status}: ${j.restored ?? 0} restored${j.statusDetails ? ` (${j.statusDetails})` : ''}`));
  if (job.status !== 'Succeeded') throw new Error(job.error?.message ?? `The restore ${job.status.toLowerCase()}.`);
  const conflicts = (job.conflicts ?? []).map((c) => `${c.kind} ${c.name}: ${c.reason}`);
  progress(`Restored ${count(job.restored, 'object')} into ${vault}.${conflicts.length ? ` Not restored: ${conflicts.join('; ')}` : ''}`);
}

// Every page of a list (nextLink), up to `limit` items.
async function listAll(first, get, limit = 500) {
  const out = [];
  let page = await first();
  for (;;) {
    out.push(...(page?.value ?? []));
    if (!page?.nextLink || out.length >= limit) return out;
    page = await get(page.nextLink);
  }
}

// ---- sign-in ------------------------------------------------------------------------------

async function devModeAvailable() {
  // A scope nobody may ask for: 400 in dev mode, 404 outside it; no token is minted.
  const r = await fetch('/portal/dev-token', {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"scope":"-"}',
  });
  return r.status === 400;
}

async function devSignIn() {
  for (const [kind, scope] of [['data', DATA_SCOPE], ['management', MGMT_SCOPE]]) {
    const r = await fetch('/portal/dev-token', {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ scope }),
    });
    if (!r.ok) throw new ApiError(r.status, await serverMessage(r));
    tokens[kind] = (await r.json()).access_token;
  }
}

// The tenant, from the challenge a request without a token gets (as the Azure SDKs learn it).
async function tenantId() {
  const r = await fetch(`/subscriptions?${SUB_API}`);
  const challenge = r.headers.get('WWW-Authenticate') ?? '';
  const m = /authorization="[^"]*\/([0-9a-fA-F-]{36})"/.exec(challenge);
  if (!m) throw new Error('The server did not name its tenant in its challenge.');
  return m[1];
}

async function secretSignIn(clientId, clientSecret) {
  const tenant = await tenantId();
  for (const [kind, scope] of [['data', DATA_SCOPE], ['management', MGMT_SCOPE]]) {
    const form = new URLSearchParams({
      grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret, scope,
    });
    const r = await fetch(`/${tenant}/oauth2/v2.0/token`, { method: 'POST', body: form });
    if (!r.ok) throw new ApiError(r.status, await serverMessage(r));
    tokens[kind] = (await r.json()).access_token;
  }
}

function signOut() {
  tokens.data = tokens.management = null;
  vaults.clear();
  location.hash = '#/';
  render();
}

// ---- pages --------------------------------------------------------------------------------

function crumbs(...items) {
  const nav = $('crumbs');
  nav.replaceChildren(...items.map(([text, href]) => (href ? h('a', { href }, text) : h('span', {}, text))));
}

function page(title, ...children) {
  const view = $('view');
  view.replaceChildren(h('h1', {}, title), ...children);
  view.hidden = false;
  const heading = view.querySelector('h1');
  heading.tabIndex = -1;
  heading.focus({ preventScroll: true });
}

async function loadVaults() {
  const subs = await listAll(() => arm('GET', `/subscriptions?${SUB_API}`), (u) => call('GET', u, { token: tokens.management }));
  vaults.clear();
  const rows = [];
  for (const sub of subs) {
    const list = await listAll(
      () => arm('GET', `/subscriptions/${sub.subscriptionId}/providers/Microsoft.KeyVault/vaults?${ARM_API}`),
      (u) => call('GET', u, { token: tokens.management }));
    for (const v of list) {
      vaults.set(v.name, v);
      rows.push([sub, v]);
    }
  }
  return rows;
}

async function vaultListPage() {
  crumbs(['Vaults']);
  const rows = await loadVaults();
  const table = h('table', {},
    h('thead', {}, h('tr', {}, ['Vault', 'Subscription', 'Region', 'Soft-delete retention', 'Purge protection']
      .map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, rows.map(([sub, v]) => h('tr', {},
      h('td', {}, h('a', { href: `#/vault/${encodeURIComponent(v.name)}/secrets` }, v.name)),
      h('td', {}, sub.displayName ? `${sub.displayName} (${sub.subscriptionId})` : sub.subscriptionId),
      h('td', {}, v.location),
      h('td', {}, v.properties?.softDeleteRetentionInDays ? `${v.properties.softDeleteRetentionInDays} days` : '—'),
      h('td', {}, v.properties?.enablePurgeProtection ? 'On' : 'Off')))));
  const subs = [...new Map(rows.map(([sub]) => [sub.subscriptionId, sub])).values()];
  const createArea = h('div', { id: 'create-vault' });
  const deletedArea = h('div', { id: 'deleted-vaults' });
  page('Vaults',
    h('div', { class: 'actions' },
      h('button', { type: 'button', 'aria-expanded': 'false', onclick: (e) => toggleCreateVault(e.currentTarget, createArea, subs) }, 'Create vault'),
      h('button', { type: 'button', 'aria-expanded': 'false', onclick: (e) => guard(() => toggleDeletedVaults(e.currentTarget, deletedArea, subs)) }, 'Deleted vaults')),
    createArea, deletedArea,
    rows.length ? table : h('p', {}, 'No vaults.'));
}

async function subscriptionIds() {
  const subs = await listAll(() => arm('GET', `/subscriptions?${SUB_API}`), (u) => call('GET', u, { token: tokens.management }));
  return subs;
}

function toggleCreateVault(button, area, knownSubs) {
  if (button.getAttribute('aria-expanded') === 'true') {
    button.setAttribute('aria-expanded', 'false');
    area.replaceChildren();
    return;
  }
  button.setAttribute('aria-expanded', 'true');
  const field = (id, label, value = '') => [h('label', { for: id }, label), h('input', { id, value, autocomplete: 'off', required: true })];
  const sub = h('select', { id: 'vault-sub' });
  guard(async () => {
    const subs = knownSubs.length ? knownSubs : await subscriptionIds();
    sub.replaceChildren(...subs.map((x) => h('option', { value: x.subscriptionId }, x.displayName ? `${x.displayName} (${x.subscriptionId})` : x.subscriptionId)));
  });
  const form = h('form', { id: 'create-vault-form' },
    h('h2', {}, 'Create vault'),
    field('vault-name', 'Name'), field('vault-location', 'Region', 'eastus'), field('vault-rg', 'Resource group', 'rg1'),
    h('label', { for: 'vault-sub' }, 'Subscription'), sub,
    h('label', {}, h('input', { id: 'vault-rbac', type: 'checkbox', checked: true }), ' Azure RBAC for the data plane (role assignments; otherwise access policies)'),
    h('label', {}, h('input', { id: 'vault-purge-protection', type: 'checkbox' }), ' Purge protection'),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Create')));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    guard(async () => {
      const name = $('vault-name').value.trim();
      const properties = { tenantId: await tenantId(), sku: { family: 'A', name: 'standard' } };
      if ($('vault-purge-protection').checked) properties.enablePurgeProtection = true;
      properties.enableRbacAuthorization = $('vault-rbac').checked;
      await arm('PUT', `/subscriptions/${sub.value}/resourceGroups/${encodeURIComponent($('vault-rg').value.trim())}/providers/Microsoft.KeyVault/vaults/${encodeURIComponent(name)}?${ARM_API}`,
        { location: $('vault-location').value.trim(), properties });
      await render();
      notify(`Created vault ${name}.`);
    });
  });
  area.replaceChildren(form);
  $('vault-name').focus();
}

async function toggleDeletedVaults(button, area, knownSubs) {
  if (button.getAttribute('aria-expanded') === 'true') {
    button.setAttribute('aria-expanded', 'false');
    area.replaceChildren();
    return;
  }
  const subs = knownSubs.length ? knownSubs : await subscriptionIds();
  const items = [];
  for (const sub of subs) {
    items.push(...await listAll(
      () => arm('GET', `/subscriptions/${sub.subscriptionId}/providers/Microsoft.KeyVault/deletedVaults?${ARM_API}`),
      (u) => call('GET', u, { token: tokens.management })));
  }
  button.setAttribute('aria-expanded', 'true');
  area.replaceChildren(h('h2', {}, 'Deleted vaults'), items.length ? h('table', {},
    h('thead', {}, h('tr', {}, ['Name', 'Region', 'Deleted', 'Scheduled purge', ''].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, items.map((d) => {
      const p = d.properties ?? {};
      return h('tr', {},
        h('td', {}, d.name), h('td', {}, p.location), h('td', {}, p.deletionDate ?? '—'), h('td', {}, p.scheduledPurgeDate ?? '—'),
        h('td', { class: 'actions' },
          h('button', { type: 'button', 'aria-label': `Recover ${d.name}`, onclick: () => guard(async () => {
            await arm('PUT', `${p.vaultId}?${ARM_API}`, {
              location: p.location, properties: { tenantId: await tenantId(), sku: { family: 'A', name: 'standard' }, createMode: 'recover' },
            });
            await render();
            notify(`Recovered vault ${d.name}.`);
          }) }, 'Recover'),
          p.purgeProtectionEnabled ? null : h('button', { type: 'button', class: 'danger', 'aria-label': `Purge ${d.name}`, onclick: () => guard(async () => {
            const sub = p.vaultId.split('/')[2];
            await arm('POST', `/subscriptions/${sub}/providers/Microsoft.KeyVault/locations/${p.location}/deletedVaults/${encodeURIComponent(d.name)}/purge?${ARM_API}`);
            await render();
            notify(`Purged vault ${d.name}.`);
          }) }, 'Purge')));
    }))) : h('p', {}, 'No deleted vaults.'));
}

const count = (n, one) => `${n ?? 0} ${one}${n === 1 ? '' : 's'}`;
const nameOf = (id) => decodeURIComponent(new URL(id).pathname.split('/')[2] ?? '');
const when = (t) => (t ? new Date(t * 1000).toISOString().replace('.000Z', 'Z') : '—');

function b64urlToBytes(s) {
  const b64 = s.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((s.length + 3) % 4);
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

// A certificate's `cer` (standard base64 of its DER) as bytes, and as PEM.
const b64ToBytes = (s) => b64urlToBytes(s.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, ''));
const pemOf = (cer) => `-----BEGIN CERTIFICATE-----\n${cer.match(/.{1,64}/g).join('\n')}\n-----END CERTIFICATE-----\n`;

function bytesToB64url(bytes) {
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function download(bytes, filename) {
  const url = URL.createObjectURL(new Blob([bytes], { type: 'application/octet-stream' }));
  const a = h('a', { href: url, download: filename });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function tabs(vault, current) {
  return h('div', { class: 'tabs', role: 'tablist', 'aria-label': 'Object kinds' },
    Object.entries(KINDS).map(([kind, k]) => h('a', {
      role: 'tab', class: 'button', href: `#/vault/${encodeURIComponent(vault)}/${kind}`,
      'aria-selected': kind === current ? 'true' : 'false',
    }, k.label)));
}

async function restoreFrom(vault, kind, file) {
  if (file.size > MAX_BLOB_BYTES) {
    throw new Error(`${file.name} is ${file.size} bytes; a backup blob is at most ${MAX_BLOB_BYTES} bytes. Nothing was sent.`);
  }
  const value = bytesToB64url(new Uint8Array(await file.arrayBuffer()));
  const restored = await data(vault, 'POST', `${kind}/restore`, { value });
  const id = restored.id ?? restored.kid ?? restored.key?.kid;
  return id ? nameOf(id) : '';
}

// A form in `area` with labelled fields [{id, label, type?, value?, options?}] and a submit
// button; onSubmit gets {id: value} and runs under guard. Toggled by `button` (aria-expanded).
function toggleForm(button, area, title, fields, submitText, onSubmit) {
  if (button.getAttribute('aria-expanded') === 'true') {
    button.setAttribute('aria-expanded', 'false');
    area.replaceChildren();
    return;
  }
  button.setAttribute('aria-expanded', 'true');
  const inputs = fields.map((f) => (f.options
    ? h('select', { id: f.id }, f.options.map((o) => h('option', { value: o }, o)))
    : h('input', { id: f.id, type: f.type ?? 'text', value: f.value ?? '', autocomplete: 'off', required: f.optional ? undefined : true })));
  const form = h('form', {}, h('h2', {}, title),
    fields.map((f, i) => [h('label', { for: f.id }, f.label), inputs[i]]),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, submitText)));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const values = Object.fromEntries(fields.map((f, i) => [f.id, inputs[i].value]));
    guard(() => onSubmit(values));
  });
  area.replaceChildren(form);
  inputs[0].focus();
}

// What "New …" asks for and sends, per kind (AZURE_API.md: set secret, create key, create a
// Self-issued certificate).
const CREATE = {
  secrets: {
    fields: [{ id: 'new-name', label: 'Name' }, { id: 'new-value', label: 'Value', type: 'password' },
      { id: 'new-content-type', label: 'Content type', optional: true }],
    send: (vault, v) => data(vault, 'PUT', `secrets/${encodeURIComponent(v['new-name'])}`,
      { value: v['new-value'], ...(v['new-content-type'] ? { contentType: v['new-content-type'] } : {}) }),
  },
  keys: {
    fields: [{ id: 'new-name', label: 'Name' }, { id: 'new-kty', label: 'Key type', options: ['EC', 'RSA'] }],
    send: (vault, v) => data(vault, 'POST', `keys/${encodeURIComponent(v['new-name'])}/create`, { kty: v['new-kty'] }),
  },
  certificates: {
    fields: [{ id: 'new-name', label: 'Name' }, { id: 'new-subject', label: 'Subject', value: 'CN=example.com' }],
    send: (vault, v) => data(vault, 'POST', `certificates/${encodeURIComponent(v['new-name'])}/create`,
      { policy: { issuer: { name: 'Self' }, x509_props: { subject: v['new-subject'] } } }),
  },
};

async function objectListPage(vault, kind) {
  const k = KINDS[kind];
  crumbs(['Vaults', '#/'], [vault]);
  if (!vaults.has(vault)) await loadVaults();
  const v = vaults.get(vault);
  // A list the caller may not read still shows the vault's page (its error above it), so the
  // vault can be deleted or its backups restored by someone who may.
  let items = [];
  let listError = null;
  try {
    items = await listAll(() => data(vault, 'GET', kind), (u) => call('GET', u, { token: tokens.data }));
  } catch (e) {
    listError = e;
  }
  const filter = h('input', { id: 'filter', type: 'search', 'aria-label': `Search ${k.label.toLowerCase()}` });
  const rowsOf = (q) => items.filter((it) => nameOf(it.id ?? it.kid).toLowerCase().includes(q.toLowerCase()))
    .map((it) => {
      const name = nameOf(it.id ?? it.kid);
      return h('tr', {},
        h('td', {}, h('a', { href: `#/vault/${encodeURIComponent(vault)}/${kind}/${encodeURIComponent(name)}` }, name)),
        h('td', {}, it.attributes?.enabled === false ? 'Disabled' : 'Enabled'),
        h('td', {}, when(it.attributes?.updated)),
        h('td', {}, when(it.attributes?.exp)));
    });
  const body = h('tbody', {}, rowsOf(''));
  filter.addEventListener('input', () => body.replaceChildren(...rowsOf(filter.value)));

  const file = h('input', { type: 'file', id: 'restore-file', accept: '.keyvault', hidden: true, tabindex: -1 });
  file.addEventListener('change', () => {
    const f = file.files[0];
    file.value = '';
    if (!f) return;
    guard(async () => {
      const name = await restoreFrom(vault, kind, f);
      location.hash = `#/vault/${encodeURIComponent(vault)}/${kind}/${encodeURIComponent(name)}`;
      await render();
      notify(`Restored ${k.one} ${name} from ${f.name}.`);
    });
  });
  const deletedArea = h('div', { id: 'deleted' });
  const createArea = h('div', { id: 'create' });
  // Whole-vault backup and restore, with the job's progress in a live region.
  const progress = h('p', { id: 'vault-progress', role: 'status', 'aria-live': 'polite' });
  const archive = h('input', { type: 'file', id: 'vault-archive', accept: '.coffer-backup', hidden: true, tabindex: -1 });
  archive.addEventListener('change', () => {
    const f = archive.files[0];
    archive.value = '';
    if (!f) return;
    guard(async () => {
      await restoreVault(vault, f, (t) => { progress.textContent = t; });
      const text = progress.textContent;
      await render();
      $('vault-progress').textContent = text;
    });
  });
  page(`${vault}: ${k.label}`,
    h('p', { class: 'hint' }, `${v?.location ?? ''} · ${v?.properties?.vaultUri ?? ''}`),
    tabs(vault, kind),
    h('div', { class: 'actions' },
      h('button', { type: 'button', class: 'primary', 'aria-expanded': 'false', onclick: (e) => toggleForm(e.currentTarget, createArea,
        `New ${k.one}`, CREATE[kind].fields, 'Create', async (values) => {
          await CREATE[kind].send(vault, values);
          location.hash = `#/vault/${encodeURIComponent(vault)}/${kind}/${encodeURIComponent(values['new-name'])}`;
          notify(`Created ${k.one} ${values['new-name']}.`);
        }) }, `New ${k.one}`),
      h('label', { for: 'filter' }, 'Search'), filter,
      h('button', { type: 'button', onclick: () => file.click() }, 'Restore Backup'), file,
      h('button', { type: 'button', 'aria-expanded': 'false', onclick: (e) => guard(() => toggleDeleted(e.currentTarget, vault, kind, deletedArea)) },
        `Deleted ${k.label.toLowerCase()}`),
      h('button', { type: 'button', onclick: () => guard(() => backupVault(vault, (t) => { progress.textContent = t; })) }, 'Back up vault'),
      h('button', { type: 'button', onclick: () => archive.click() }, 'Restore vault'), archive,
      h('button', { type: 'button', class: 'danger', onclick: (e) => {
        const confirm = h('button', { type: 'button', class: 'danger', onclick: () => guard(async () => {
          await arm('DELETE', `${v.id}?${ARM_API}`);
          vaults.delete(vault);
          location.hash = '#/';
          notify(`Deleted vault ${vault}.`);
        }) }, `Confirm delete of vault ${vault}`);
        e.currentTarget.after(confirm);
        confirm.focus();
      } }, 'Delete vault')),
    progress, createArea, deletedArea,
    items.length ? h('table', {},
      h('thead', {}, h('tr', {}, ['Name', 'Status', 'Updated', 'Expires'].map((t) => h('th', { scope: 'col' }, t)))),
      body) : h('p', {}, listError ? `Could not list the ${k.label.toLowerCase()}.` : `No ${k.label.toLowerCase()}.`));
  if (listError) showError(listError.message);
}

async function toggleDeleted(button, vault, kind, area) {
  if (button.getAttribute('aria-expanded') === 'true') {
    button.setAttribute('aria-expanded', 'false');
    area.replaceChildren();
    return;
  }
  const k = KINDS[kind];
  const protectedVault = vaults.get(vault)?.properties?.enablePurgeProtection === true;
  const items = await listAll(() => data(vault, 'GET', k.deleted), (u) => call('GET', u, { token: tokens.data }));
  button.setAttribute('aria-expanded', 'true');
  area.replaceChildren(h('h2', {}, `Deleted ${k.label.toLowerCase()}`), items.length ? h('table', {},
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
          protectedVault ? null : h('button', { type: 'button', class: 'danger', 'aria-label': `Purge ${name}`, onclick: () => guard(async () => {
            await data(vault, 'DELETE', `${k.deleted}/${encodeURIComponent(name)}`);
            await render();
            notify(`Purged ${k.one} ${name}.`);
          }) }, 'Purge')));
    }))) : h('p', {}, `No deleted ${k.label.toLowerCase()}.`));
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

async function objectPage(vault, kind, name) {
  const k = KINDS[kind];
  crumbs(['Vaults', '#/'], [vault, `#/vault/${encodeURIComponent(vault)}/${kind}`], [name]);
  if (!vaults.has(vault)) await loadVaults();
  const path = `${kind}/${encodeURIComponent(name)}`;
  // A secret's value only on an explicit click: its page reads the versions, not the value.
  const current = kind === 'secrets' ? null : await data(vault, 'GET', path);
  const versions = await listAll(() => data(vault, 'GET', `${path}/versions`), (u) => call('GET', u, { token: tokens.data }));
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
  const latestVersion = (() => { const id = latest.id ?? latest.kid ?? latest.key?.kid; return id ? new URL(id).pathname.split('/')[3] ?? '' : ''; })();
  const enabled = latest.attributes?.enabled !== false;
  const confirmArea = h('span');
  const actions = h('div', { class: 'actions' },
    h('button', { type: 'button', class: 'primary', onclick: () => guard(async () => {
      const blob = await data(vault, 'POST', `${path}/backup`);
      const day = new Date().toISOString().slice(0, 10).replace(/-/g, '');
      download(b64urlToBytes(blob.value), `${vault}-${name}-${day}.keyvault`);
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
        location.hash = `#/vault/${encodeURIComponent(vault)}/${kind}`;
        notify(`Deleted ${k.one} ${name}.`);
      }) }, `Confirm delete of ${name}`));
      confirmArea.querySelector('button').focus();
    } }, 'Delete'), confirmArea);
  page(`${k.one[0].toUpperCase()}${k.one.slice(1)} ${name}`,
    tabs(vault, kind), actions, formArea, valueArea,
    h('h2', {}, 'Attributes'), attributesList(latest),
    h('h2', {}, 'Versions'),
    h('table', {},
      h('thead', {}, h('tr', {}, ['Version', 'Enabled', 'Created', 'Updated', 'Expires'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, versions.map((ver) => {
        const id = ver.id ?? ver.kid;
        return h('tr', {},
          h('td', {}, new URL(id).pathname.split('/')[3] ?? ''),
          h('td', {}, ver.attributes?.enabled === false ? 'No' : 'Yes'),
          h('td', {}, when(ver.attributes?.created)), h('td', {}, when(ver.attributes?.updated)),
          h('td', {}, when(ver.attributes?.exp)));
      }))));
}

// ---- routing ------------------------------------------------------------------------------

// Runs fn, showing its error as the server's message. A navigation keeps the notice of the
// action that caused it (keepNotice).
async function guard(fn, keepNotice = false) {
  showError('');
  if (!keepNotice) notify('');
  try {
    await fn();
  } catch (e) {
    if (e instanceof ApiError && e.status === 401 && tokens.data) {
      showError(`${e.message} (Sign in again.)`);
    } else {
      showError(e.message);
    }
  }
}

async function render() {
  const signedIn = tokens.data && tokens.management;
  $('sign-in').hidden = signedIn;
  $('sign-out').hidden = !signedIn;
  if (!signedIn) {
    $('view').hidden = true;
    crumbs();
    return;
  }
  const parts = location.hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  if (parts[0] === 'vault' && parts[1]) {
    const kind = KINDS[parts[2]] ? parts[2] : 'secrets';
    if (parts[3]) await objectPage(parts[1], kind, parts[3]);
    else await objectListPage(parts[1], kind);
  } else {
    await vaultListPage();
  }
}

function start() {
  $('dev-button').addEventListener('click', () => guard(async () => { await devSignIn(); await render(); }));
  $('secret-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const id = $('client-id');
    const secret = $('client-secret');
    guard(async () => {
      await secretSignIn(id.value.trim(), secret.value);
      secret.value = '';
      await render();
    });
  });
  $('sign-out').addEventListener('click', signOut);
  window.addEventListener('hashchange', () => guard(render, true));
  guard(async () => {
    $('dev-sign-in').hidden = !(await devModeAvailable());
    await render();
  });
}

start();
