// The Vaults page (management plane): subscriptions' vaults with region, geography-bound
// settings, retention and purge protection; Create vault; Deleted vaults with Recover and Purge
// (none for a purge-protected vault).
import { ARM_API, SUB_API, arm, armNext, listAll, loadVaults, tenantId } from './api.js';
import { $, crumbs, guard, h, notify, page, render, toggled, vaultHref } from './ui.js';

const subLabel = (s) => (s.displayName ? `${s.displayName} (${s.subscriptionId})` : s.subscriptionId);

export async function vaultListPage() {
  crumbs(['Vaults']);
  const { subs, rows } = await loadVaults();
  const table = h('table', {},
    h('thead', {}, h('tr', {}, ['Vault', 'Subscription', 'Region', 'Soft-delete retention', 'Purge protection', 'Data-plane access']
      .map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, rows.map(([sub, v]) => h('tr', {},
      h('td', {}, h('a', { href: vaultHref(v.name) }, v.name)),
      h('td', {}, subLabel(sub)),
      h('td', {}, v.location),
      h('td', {}, v.properties?.softDeleteRetentionInDays ? `${v.properties.softDeleteRetentionInDays} days` : '—'),
      h('td', {}, v.properties?.enablePurgeProtection ? 'On' : 'Off'),
      h('td', {}, v.properties?.enableRbacAuthorization ? 'Azure RBAC' : 'Access policies')))));
  const createArea = h('div', { id: 'create-vault' });
  const deletedArea = h('div', { id: 'deleted-vaults' });
  page('Vaults',
    h('div', { class: 'actions' },
      h('button', { type: 'button', 'aria-expanded': 'false', onclick: (e) => toggleCreateVault(e.currentTarget, createArea, subs) }, 'Create vault'),
      h('button', { type: 'button', 'aria-expanded': 'false', onclick: (e) => guard(() => toggleDeletedVaults(e.currentTarget, deletedArea, subs)) }, 'Deleted vaults')),
    createArea, deletedArea,
    rows.length ? table : h('p', {}, 'No vaults.'));
}

function toggleCreateVault(button, area, subs) {
  if (toggled(button, area)) return;
  const field = (id, label, value = '') => [h('label', { for: id }, label), h('input', { id, value, autocomplete: 'off', required: true })];
  const sub = h('select', { id: 'vault-sub' }, subs.map((x) => h('option', { value: x.subscriptionId }, subLabel(x))));
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
  if (toggled(button, area)) return;
  button.setAttribute('aria-expanded', 'false');  // until the list has loaded
  const subs = knownSubs.length ? knownSubs : await listAll(() => arm('GET', `/subscriptions?${SUB_API}`), armNext);
  const items = [];
  for (const sub of subs) {
    items.push(...await listAll(
      () => arm('GET', `/subscriptions/${sub.subscriptionId}/providers/Microsoft.KeyVault/deletedVaults?${ARM_API}`), armNext));
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
