// Access control through the official SDKs (CONTRACT.md "Principals", "Authorization",
// "Deleted vaults"): principals made by the tenant administrator get tokens with
// ClientSecretCredential; @azure/arm-authorization assigns Azure's built-in roles at vault and
// object scope; data operations are allowed or refused as those roles say; access-policy vaults
// and deleted vaults go through @azure/arm-keyvault unchanged. The full route × role matrix is
// the C++ test src/api/authorization_matrix_test.cc; this file proves the SDKs' side.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ClientSecretCredential } from '@azure/identity';
import { SecretClient } from '@azure/keyvault-secrets';
import { KeyClient } from '@azure/keyvault-keys';
import { AuthorizationManagementClient } from '@azure/arm-authorization';
import { KeyVaultManagementClient } from '@azure/arm-keyvault';
import { startServer } from '../support/server.mjs';
import {
  MGMT_SCOPE, armClient, collect, createVault, expectRestError, innerCode, mgmtRequest, uniqueName,
  vaultPath, vaultUrl,
} from '../support/azure.mjs';

const ROLE = {
  owner: '8e3af657-a8ff-443c-a75c-2fe8c4bcb635',
  secretsUser: '4633458b-17de-408a-b874-0445c86b69e6',
  secretsOfficer: 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7',
  cryptoUser: '12338af0-0e69-4776-bea7-57ae8d297424',
  kvContributor: 'f25e0fa2-a7c8-4377-a976-54943a77a395',
};

let server;
let sub;
before(async () => {
  server = await startServer();
  sub = server.creds.subscriptions[0];
});
after(async () => { await server?.remove(); });

/** A new principal of the tenant, made by the dev client (the tenant administrator). */
async function newPrincipal(displayName) {
  const res = await mgmtRequest(server, {
    method: 'POST', path: '/_coffer/principals', body: { displayName },
  });
  assert.equal(res.status, 201, res.body);
  return res.json;
}

function credential(p, secret = p.clientSecret) {
  return new ClientSecretCredential(server.creds.tenantId, p.clientId, secret, {
    authorityHost: server.creds.authorityHost, disableInstanceDiscovery: true,
  });
}

function authClient(cred = credential({ clientId: server.creds.clientId, clientSecret: server.creds.clientSecret })) {
  return new AuthorizationManagementClient(cred, sub, {
    endpoint: server.creds.managementUrl,
    $host: server.creds.managementUrl,
    credentialScopes: [MGMT_SCOPE],
  });
}

const vaultScope = (name, rg = 'rg1') => vaultPath(sub, rg, name);
const roleId = (guid) => `/subscriptions/${sub}/providers/Microsoft.Authorization/roleDefinitions/${guid}`;

async function assign(scope, role, principalId, client = authClient()) {
  const name = crypto.randomUUID();
  const ra = await client.roleAssignments.create(scope, name, {
    roleDefinitionId: roleId(role), principalId, principalType: 'ServicePrincipal',
  });
  return { name, ra };
}

describe('principals', () => {
  test('create, token, list without secrets, show', async () => {
    const p = await newPrincipal('build-agent');
    for (const f of ['objectId', 'clientId', 'tenantId', 'displayName', 'clientSecret']) {
      assert.equal(typeof p[f], 'string', `${f} in ${JSON.stringify(Object.keys(p))}`);
    }
    assert.equal(p.tenantId, server.creds.tenantId);
    const token = await credential(p).getToken(MGMT_SCOPE);
    const claims = JSON.parse(Buffer.from(token.token.split('.')[1], 'base64url'));
    assert.equal(claims.oid, p.objectId);
    const list = await mgmtRequest(server, { path: '/_coffer/principals' });
    assert.equal(list.status, 200);
    const mine = list.json.value.find((x) => x.objectId === p.objectId);
    assert.equal(mine.displayName, 'build-agent');
    assert.ok(!list.body.includes(p.clientSecret), 'a list never shows a secret');
    const one = await mgmtRequest(server, { path: `/_coffer/principals/${p.objectId}` });
    assert.equal(one.status, 200);
    assert.ok(!('clientSecret' in one.json));
  });

  test('a revoked secret and a deleted principal stop working on the next request', async () => {
    const p = await newPrincipal('rotating');
    const added = await mgmtRequest(server, {
      method: 'POST', path: `/_coffer/principals/${p.objectId}/secrets`,
    });
    assert.equal(added.status, 201, added.body);
    await assign(vaultScope('dev', 'coffer-dev'), ROLE.secretsOfficer, p.objectId);
    const first = new SecretClient(vaultUrl(server, 'dev'), credential(p));
    const second = new SecretClient(vaultUrl(server, 'dev'), credential(p, added.json.clientSecret));
    await first.setSecret(uniqueName('rot'), 'v');
    await second.setSecret(uniqueName('rot'), 'v');
    const revoke = await mgmtRequest(server, {
      method: 'DELETE', path: `/_coffer/principals/${p.objectId}/secrets/${p.keyId}`,
    });
    assert.ok([200, 204].includes(revoke.status), revoke.body);
    // The first client still holds a token of the revoked secret: refused at once.
    await expectRestError(first.setSecret(uniqueName('rot'), 'v'), 401);
    await second.setSecret(uniqueName('rot'), 'v');
    const del = await mgmtRequest(server, { method: 'DELETE', path: `/_coffer/principals/${p.objectId}` });
    assert.ok([200, 204].includes(del.status), del.body);
    await expectRestError(second.setSecret(uniqueName('rot'), 'v'), 401);
  });

  test('only the tenant administrator manages principals', async () => {
    const p = await newPrincipal('not-admin');
    const token = (await credential(p).getToken(MGMT_SCOPE)).token;
    const res = await mgmtRequest(server, {
      method: 'POST', path: '/_coffer/principals', body: { displayName: 'x' }, token,
    });
    assert.equal(res.status, 403, res.body);
    assert.equal(res.json.error.code, 'AuthorizationFailed');
  });
});

describe('role assignments with @azure/arm-authorization', () => {
  test('built-in role definitions, verbatim', async () => {
    const client = authClient();
    const found = await collect(client.roleDefinitions.list(`/subscriptions/${sub}`, {
      filter: "roleName eq 'Key Vault Secrets User'",
    }));
    assert.equal(found.length, 1);
    assert.equal(found[0].name, ROLE.secretsUser);
    assert.deepEqual(found[0].permissions[0].dataActions, [
      'Microsoft.KeyVault/vaults/secrets/getSecret/action',
      'Microsoft.KeyVault/vaults/secrets/readMetadata/action',
    ]);
    const owner = await client.roleDefinitions.get(`/subscriptions/${sub}`, ROLE.owner);
    assert.equal(owner.roleName, 'Owner');
    assert.deepEqual(owner.permissions[0].dataActions, []);
  });

  test('Secrets User at vault scope reads but cannot write; removal applies on the next request', async () => {
    const vault = uniqueName('ra');
    await createVault(server, { name: vault });
    const admin = new SecretClient(vaultUrl(server, vault), credential({ clientId: server.creds.clientId, clientSecret: server.creds.clientSecret }));
    await admin.setSecret('db', 's3cr3t');
    const p = await newPrincipal('reader-app');
    const client = new SecretClient(vaultUrl(server, vault), credential(p));
    const denied = await expectRestError(client.getSecret('db'), 403);
    assert.equal(innerCode(denied), 'ForbiddenByRbac');
    assert.match(denied.message, /Microsoft\.KeyVault\/vaults\/secrets\/getSecret\/action/);

    const auth = authClient();
    const { name, ra } = await assign(vaultScope(vault), ROLE.secretsUser, p.objectId, auth);
    assert.equal(ra.principalId, p.objectId);
    assert.equal(ra.scope.toLowerCase(), vaultScope(vault).toLowerCase());
    assert.equal((await client.getSecret('db')).value, 's3cr3t');
    const write = await expectRestError(client.setSecret('db', 'x'), 403);
    assert.equal(innerCode(write), 'ForbiddenByRbac');
    await expectRestError(client.beginDeleteSecret('db'), 403);

    const listed = await collect(auth.roleAssignments.listForScope(vaultScope(vault), { filter: 'atScope()' }));
    assert.ok(listed.some((x) => x.name === name), 'the assignment is listed at its scope');
    const got = await auth.roleAssignments.get(vaultScope(vault), name);
    assert.equal(got.roleDefinitionId, roleId(ROLE.secretsUser));
    await auth.roleAssignments.delete(vaultScope(vault), name);
    await expectRestError(client.getSecret('db'), 403);
    await expectRestError(auth.roleAssignments.get(vaultScope(vault), name), 404);
  });

  test('object scope: Secrets User on one secret reads that secret only', async () => {
    const vault = uniqueName('obj');
    await createVault(server, { name: vault });
    const admin = new SecretClient(vaultUrl(server, vault), credential({ clientId: server.creds.clientId, clientSecret: server.creds.clientSecret }));
    await admin.setSecret('mine', 'a');
    await admin.setSecret('theirs', 'b');
    const p = await newPrincipal('one-secret');
    await assign(`${vaultScope(vault)}/secrets/mine`, ROLE.secretsUser, p.objectId);
    const client = new SecretClient(vaultUrl(server, vault), credential(p));
    assert.equal((await client.getSecret('mine')).value, 'a');
    await expectRestError(client.getSecret('theirs'), 403);
    await expectRestError(collect(client.listPropertiesOfSecrets()), 403);
  });

  test('Crypto User signs but cannot create keys; Owner has no data access', async () => {
    const vault = uniqueName('cu');
    await createVault(server, { name: vault });
    const adminKeys = new KeyClient(vaultUrl(server, vault), credential({ clientId: server.creds.clientId, clientSecret: server.creds.clientSecret }));
    const key = await adminKeys.createEcKey('signer');
    const p = await newPrincipal('signer-app');
    const o = await newPrincipal('owner-app');
    await assign(vaultScope(vault), ROLE.cryptoUser, p.objectId);
    await assign(`/subscriptions/${sub}`, ROLE.owner, o.objectId);
    const keys = new KeyClient(vaultUrl(server, vault), credential(p));
    assert.equal((await keys.getKey('signer')).id, key.id);
    await expectRestError(keys.createEcKey('another'), 403);
    const ownerKeys = new KeyClient(vaultUrl(server, vault), credential(o));
    const err = await expectRestError(ownerKeys.getKey('signer'), 403);
    assert.equal(innerCode(err), 'ForbiddenByRbac');
  });

  test('conflicts and bad input get ARM errors, nothing half-applied', async () => {
    const p = await newPrincipal('conflicts');
    const auth = authClient();
    const scope = vaultScope('dev', 'coffer-dev');
    const { name } = await assign(scope, ROLE.secretsUser, p.objectId, auth);
    // The identical body again is fine; the same grant under another name is 409.
    await auth.roleAssignments.create(scope, name, { roleDefinitionId: roleId(ROLE.secretsUser), principalId: p.objectId });
    const dup = await expectRestError(auth.roleAssignments.create(scope, crypto.randomUUID(), {
      roleDefinitionId: roleId(ROLE.secretsUser), principalId: p.objectId,
    }), 409);
    assert.equal(dup.code, 'RoleAssignmentExists');
    const upd = await expectRestError(auth.roleAssignments.create(scope, name, {
      roleDefinitionId: roleId(ROLE.secretsOfficer), principalId: p.objectId,
    }), 409);
    assert.equal(upd.code, 'RoleAssignmentUpdateNotPermitted');
    const unknownRole = await expectRestError(auth.roleAssignments.create(scope, crypto.randomUUID(), {
      roleDefinitionId: roleId('00000000-1111-2222-3333-444444444444'), principalId: p.objectId,
    }), 400);
    assert.match(unknownRole.message, /00000000-1111-2222-3333-444444444444/);
    const ghost = crypto.randomUUID();
    const unknownPrincipal = await expectRestError(auth.roleAssignments.create(scope, crypto.randomUUID(), {
      roleDefinitionId: roleId(ROLE.secretsUser), principalId: ghost,
    }), 400);
    assert.match(unknownPrincipal.message, new RegExp(ghost));
    // A principal without rights on the scope cannot assign there.
    const mine = authClient(credential(p));
    const denied = await expectRestError(mine.roleAssignments.create(scope, crypto.randomUUID(), {
      roleDefinitionId: roleId(ROLE.secretsOfficer), principalId: p.objectId,
    }), 403);
    assert.equal(denied.code, 'AuthorizationFailed');
  });
});

describe('access policies with @azure/arm-keyvault', () => {
  test('a vault with enableRbacAuthorization false is governed by its policies', async () => {
    const p = await newPrincipal('policy-app');
    const arm = armClient(server);
    const name = uniqueName('ap');
    const vault = await arm.vaults.beginCreateOrUpdateAndWait('rg1', name, {
      location: 'eastus',
      properties: {
        tenantId: server.creds.tenantId, sku: { family: 'A', name: 'standard' },
        enableRbacAuthorization: false,
        accessPolicies: [{ tenantId: server.creds.tenantId, objectId: p.objectId, permissions: { secrets: ['Get', 'Set'] } }],
      },
    });
    assert.equal(vault.properties.enableRbacAuthorization, false);
    assert.deepEqual(vault.properties.accessPolicies[0].permissions.secrets, ['Get', 'Set']);
    const client = new SecretClient(vaultUrl(server, name), credential(p));
    await client.setSecret('s', 'v');
    assert.equal((await client.getSecret('s')).value, 'v');
    const denied = await expectRestError(client.beginDeleteSecret('s'), 403);
    assert.equal(innerCode(denied), 'AccessDenied');
    // The dev client (Key Vault Administrator by RBAC) has no policy here: denied.
    const admin = new SecretClient(vaultUrl(server, name), credential({ clientId: server.creds.clientId, clientSecret: server.creds.clientSecret }));
    await expectRestError(admin.getSecret('s'), 403);
    // add merges: now delete too.
    const added = await arm.vaults.updateAccessPolicy('rg1', name, 'add', {
      properties: { accessPolicies: [{ tenantId: server.creds.tenantId, objectId: p.objectId, permissions: { secrets: ['delete'] } }] },
    });
    assert.deepEqual(added.properties.accessPolicies[0].permissions.secrets.map((x) => x.toLowerCase()).sort(), ['delete', 'get', 'set']);
    await (await client.beginDeleteSecret('s')).pollUntilDone();
    // Switch to RBAC: the policies stop counting.
    await arm.vaults.update('rg1', name, { properties: { enableRbacAuthorization: true } });
    await expectRestError(client.getSecret(uniqueName('x')), 403);
  });

  test('unknown permission names → 400 naming them', async () => {
    const arm = armClient(server);
    const err = await expectRestError(arm.vaults.beginCreateOrUpdateAndWait('rg1', uniqueName('bad'), {
      location: 'eastus',
      properties: {
        tenantId: server.creds.tenantId, sku: { family: 'A', name: 'standard' }, enableRbacAuthorization: false,
        accessPolicies: [{ tenantId: server.creds.tenantId, objectId: crypto.randomUUID(), permissions: { keys: ['teleport'] } }],
      },
    }), 400);
    assert.match(err.message, /teleport/);
  });
});

describe('deleted vaults with @azure/arm-keyvault', () => {
  test('delete, list and get deleted, recover with every object, delete again, purge', async () => {
    const arm = armClient(server);
    const name = uniqueName('dv');
    await createVault(server, { name, location: 'westus' });
    const admin = new SecretClient(vaultUrl(server, name), credential({ clientId: server.creds.clientId, clientSecret: server.creds.clientSecret }));
    await admin.setSecret('survivor', 'still here');
    await arm.vaults.delete('rg1', name);
    const deleted = await collect(arm.vaults.listDeleted());
    const mine = deleted.find((v) => v.name === name);
    assert.ok(mine, 'listed as deleted');
    assert.equal(mine.properties.location, 'westus');
    assert.ok(mine.properties.scheduledPurgeDate > mine.properties.deletionDate);
    const got = await arm.vaults.getDeleted(name, 'westus');
    assert.equal(got.properties.vaultId.toLowerCase(), vaultScope(name).toLowerCase());
    const avail = await arm.vaults.checkNameAvailability({ name, type: 'Microsoft.KeyVault/vaults' });
    assert.equal(avail.nameAvailable, false);
    assert.equal(avail.reason, 'AlreadyExists');
    const taken = await expectRestError(arm.vaults.beginCreateOrUpdateAndWait('rg1', name, {
      location: 'westus', properties: { tenantId: server.creds.tenantId, sku: { family: 'A', name: 'standard' } },
    }), 409);
    assert.match(taken.message, /deleted state/);
    await arm.vaults.beginCreateOrUpdateAndWait('rg1', name, {
      location: 'westus',
      properties: { tenantId: server.creds.tenantId, sku: { family: 'A', name: 'standard' }, createMode: 'recover' },
    });
    assert.equal((await admin.getSecret('survivor')).value, 'still here');
    await arm.vaults.delete('rg1', name);
    await arm.vaults.beginPurgeDeletedAndWait(name, 'westus');
    assert.ok(!(await collect(arm.vaults.listDeleted())).some((v) => v.name === name));
    assert.equal((await arm.vaults.checkNameAvailability({ name, type: 'Microsoft.KeyVault/vaults' })).nameAvailable, true);
  });

  test('purge protection refuses the purge; Key Vault Contributor cannot purge', async () => {
    const arm = armClient(server);
    const name = uniqueName('pp');
    await createVault(server, { name, properties: { enablePurgeProtection: true } });
    await arm.vaults.delete('rg1', name);
    const err = await expectRestError(arm.vaults.beginPurgeDeletedAndWait(name, 'eastus'), 409);
    assert.match(err.message, /purge protection/);
    const kvc = await newPrincipal('kv-contributor');
    await assign(`/subscriptions/${sub}`, ROLE.kvContributor, kvc.objectId);
    const other = uniqueName('kvc');
    await createVault(server, { name: other });
    await arm.vaults.delete('rg1', other);
    const theirs = new KeyVaultManagementClient(credential(kvc), sub, {
      endpoint: server.creds.managementUrl, credentials: { scopes: [MGMT_SCOPE] },
    });
    const denied = await expectRestError(theirs.vaults.beginPurgeDeletedAndWait(other, 'eastus'), 403);
    assert.equal(denied.code, 'AuthorizationFailed');
  });
});

describe('the tenant and its subscriptions', () => {
  test('an unknown subscription is 404 SubscriptionNotFound; a foreign tenantId is 400', async () => {
    const res = await mgmtRequest(server, {
      method: 'PUT',
      path: `${vaultPath(crypto.randomUUID(), 'rg1', uniqueName('sq'))}?api-version=2026-02-01`,
      body: { location: 'eastus', properties: { tenantId: server.creds.tenantId, sku: { family: 'A', name: 'standard' } } },
    });
    assert.equal(res.status, 404, res.body);
    assert.equal(res.json.error.code, 'SubscriptionNotFound');
    const foreign = await mgmtRequest(server, {
      method: 'PUT',
      path: `${vaultPath(sub, 'rg1', uniqueName('ft'))}?api-version=2026-02-01`,
      body: { location: 'eastus', properties: { tenantId: crypto.randomUUID(), sku: { family: 'A', name: 'standard' } } },
    });
    assert.equal(foreign.status, 400, foreign.body);
  });

  test('GET /subscriptions lists the dev subscriptions; a new one is the deployment\'s own', async () => {
    const res = await mgmtRequest(server, { path: '/subscriptions?api-version=2022-12-01' });
    assert.equal(res.status, 200, res.body);
    const ids = res.json.value.map((s) => s.subscriptionId).sort();
    assert.deepEqual(ids, [...server.creds.subscriptions].sort());
    const made = await mgmtRequest(server, {
      method: 'POST', path: '/_coffer/subscriptions', body: { displayName: 'team-b' },
    });
    assert.equal(made.status, 201, made.body);
    assert.equal(made.json.state, 'Enabled');
    // Its creator is its Owner (an explicit assignment): it is listed and takes vaults.
    const listed = await mgmtRequest(server, { path: '/subscriptions?api-version=2022-12-01' });
    assert.ok(listed.json.value.some((s) => s.subscriptionId === made.json.subscriptionId));
    const put = await mgmtRequest(server, {
      method: 'PUT',
      path: `${vaultPath(made.json.subscriptionId, 'rg1', uniqueName('nb'))}?api-version=2026-02-01`,
      body: { location: 'eastus' },
    });
    assert.equal(put.status, 201, put.body);
    // A principal without an assignment there sees neither the subscription nor its vaults.
    const p = await newPrincipal('outsider');
    const token = (await credential(p).getToken(MGMT_SCOPE)).token;
    const theirs = await mgmtRequest(server, { path: '/subscriptions?api-version=2022-12-01', token });
    assert.deepEqual(theirs.json.value, []);
  });

  test('the token endpoint accepts exactly one known <audience>/.default', async () => {
    const base = `${server.creds.authorityHost}/${server.creds.tenantId}/oauth2/v2.0/token`;
    for (const scope of ['xxhttps://vault.localhost/.defaultyy', 'https://vault.localhost/.default https://management.localhost/.default', 'https://vault.localhost', '']) {
      const body = new URLSearchParams({
        grant_type: 'client_credentials', client_id: server.creds.clientId, client_secret: server.creds.clientSecret, scope,
      });
      const res = await fetch(base, { method: 'POST', body });
      assert.equal(res.status, 400, `scope ${JSON.stringify(scope)}`);
      assert.equal((await res.json()).error, 'invalid_scope');
    }
    const ok = new URLSearchParams({
      grant_type: 'client_credentials', client_id: server.creds.clientId, client_secret: server.creds.clientSecret,
      scope: 'https://vault.localhost/.default openid profile offline_access',
    });
    assert.equal((await fetch(base, { method: 'POST', body: ok })).status, 200);
  });
});
