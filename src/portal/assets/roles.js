// A vault's Access control tab: its role assignments (at the vault, inherited from its
// subscription or resource group, and on its objects), Add role assignment (a principal and one
// of the built-in role definitions) and Remove — the ARM role-assignment API that
// @azure/arm-authorization and `coffer role assignment` use, with the user's token.
import { ROLE_API, arm, vaultResource } from './api.js';
import { crumbs, guard, h, notify, page, render, showError, tabs, toggled, vaultHref } from './ui.js';

const ASSIGNMENTS = '/providers/Microsoft.Authorization/roleAssignments';
const DEFINITIONS = '/providers/Microsoft.Authorization/roleDefinitions';
const guidOf = (id) => id.slice(id.lastIndexOf('/') + 1).toLowerCase();

// Where an assignment sits relative to the vault: "This vault", "Inherited (…)" or the object.
function scopeText(scope, vaultId) {
  const s = scope.toLowerCase();
  const v = vaultId.toLowerCase();
  if (s === v) return 'This vault';
  if (s.startsWith(`${v}/`)) return scope.slice(vaultId.length + 1);
  return s.includes('/resourcegroups/') ? `Inherited (resource group ${scope.split('/')[4]})` : `Inherited (subscription ${scope.split('/')[2]})`;
}

// The deployment's principals when the caller may list them (the tenant administrator), else
// null: the form then asks for an object id.
async function principals() {
  try {
    return (await arm('GET', `/_coffer/principals?${ROLE_API}`)).value ?? [];
  } catch {
    return null;
  }
}

export async function accessPage(vault) {
  crumbs(['Vaults', '#/'], [vault, vaultHref(vault)], ['Access control']);
  const v = await vaultResource(vault);
  if (!v) throw new Error(`There is no vault ${vault} among the vaults you may read.`);
  const [defs, people] = await Promise.all([
    arm('GET', `${v.id}${DEFINITIONS}?${ROLE_API}`).then((r) => r.value ?? []),
    principals(),
  ]);
  const roleName = new Map(defs.map((d) => [guidOf(d.name ?? d.id), d.properties.roleName]));
  const who = new Map((people ?? []).map((p) => [p.objectId.toLowerCase(), p.displayName]));
  let items = [];
  let listError = null;
  try {
    items = (await arm('GET', `${v.id}${ASSIGNMENTS}?${ROLE_API}`)).value ?? [];
  } catch (e) {
    listError = e;
  }
  const formArea = h('div', { id: 'add-assignment' });
  const principalText = (id) => (who.get(id.toLowerCase()) ? `${who.get(id.toLowerCase())} (${id})` : id);
  const rows = items.map((a) => {
    const p = a.properties;
    const role = roleName.get(guidOf(p.roleDefinitionId)) ?? guidOf(p.roleDefinitionId);
    const removable = p.scope.toLowerCase() === v.id.toLowerCase() || p.scope.toLowerCase().startsWith(`${v.id.toLowerCase()}/`);
    const confirm = h('span');
    const label = `${role} for ${who.get(p.principalId.toLowerCase()) ?? p.principalId}`;
    return h('tr', {},
      h('td', {}, principalText(p.principalId)), h('td', {}, role), h('td', {}, scopeText(p.scope, v.id)),
      h('td', { class: 'actions' }, removable ? [
        h('button', { type: 'button', class: 'danger', 'aria-label': `Remove ${label}`, onclick: () => {
          confirm.replaceChildren(h('button', { type: 'button', class: 'danger', onclick: () => guard(async () => {
            await arm('DELETE', `${a.id}?${ROLE_API}`);
            await render();
            notify(`Removed ${label}.`);
          }) }, `Confirm removal of ${label}`));
          confirm.querySelector('button').focus();
        } }, 'Remove'), confirm] : h('span', { class: 'hint' }, 'Change it at its scope')));
  });
  page(`${vault}: Access control`,
    h('p', { class: 'hint' }, v.properties?.enableRbacAuthorization
      ? 'This vault uses Azure RBAC: these role assignments decide data-plane access too.'
      : 'This vault uses access policies for the data plane; role assignments decide management access.'),
    tabs(vault, 'access'),
    h('div', { class: 'actions' },
      h('button', { type: 'button', class: 'primary', 'aria-expanded': 'false', onclick: (e) => addForm(e.currentTarget, formArea, v, defs, people) },
        'Add role assignment')),
    formArea,
    h('h2', {}, 'Role assignments'),
    rows.length ? h('table', { id: 'assignments' },
      h('thead', {}, h('tr', {}, ['Principal', 'Role', 'Scope', ''].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, rows)) : h('p', {}, listError ? 'Could not list the role assignments.' : 'No role assignments.'));
  if (listError) showError(listError.message);
}

function addForm(button, area, v, defs, people) {
  if (toggled(button, area)) return;
  const principal = people && people.length
    ? h('select', { id: 'assign-principal' }, people.map((p) => h('option', { value: p.objectId }, `${p.displayName} (${p.objectId})`)))
    : h('input', { id: 'assign-principal', autocomplete: 'off', required: true, 'aria-describedby': 'assign-principal-hint' });
  const sorted = [...defs].sort((x, y) => x.properties.roleName.localeCompare(y.properties.roleName));
  const role = h('select', { id: 'assign-role' }, sorted.map((d) => h('option', { value: d.id }, d.properties.roleName)));
  const form = h('form', {},
    h('h2', {}, 'Add role assignment'),
    h('label', { for: 'assign-principal' }, 'Principal'), principal,
    people && people.length ? null : h('p', { class: 'hint', id: 'assign-principal-hint' }, 'The principal\'s object id.'),
    h('label', { for: 'assign-role' }, 'Role'), role,
    h('p', { class: 'hint' }, `Scope: this vault (${v.id}).`),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Add')));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    guard(async () => {
      const principalId = principal.value.trim();
      const roleText = role.selectedOptions[0]?.textContent ?? '';
      await arm('PUT', `${v.id}${ASSIGNMENTS}/${crypto.randomUUID()}?${ROLE_API}`, {
        properties: { roleDefinitionId: role.value, principalId, principalType: 'ServicePrincipal' },
      });
      await render();
      notify(`Assigned ${roleText} to ${principalId} on ${v.name}.`);
    });
  });
  area.replaceChildren(form);
  principal.focus();
}
