// The REST API as the page calls it, with the user's tokens (memory only, never Web Storage):
// the management plane, the token endpoint and /portal/dev-token on the page's own origin, each
// vault's data plane on https://<vault>.vault.localhost:<port> (CORS for this origin only).
// Every refusal becomes an ApiError carrying the server's own message.
export const DATA_API = 'api-version=7.5';
export const ARM_API = 'api-version=2023-07-01';
export const SUB_API = 'api-version=2022-12-01';
export const ROLE_API = 'api-version=2022-04-01';
const DATA_SCOPE = 'https://vault.localhost/.default';
const MGMT_SCOPE = 'https://management.localhost/.default';

export const tokens = { data: null, management: null };
export const vaults = new Map();  // name → ARM vault resource, from the last vault list

export class ApiError extends Error {
  constructor(status, message) { super(message); this.status = status; }
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

// fetch, with a network failure and a refusal both as ApiError.
async function send(url, init) {
  let resp;
  try {
    resp = await fetch(url, init);
  } catch (e) {
    throw new ApiError(0, `Could not reach ${new URL(url).host}: ${e.message}`);
  }
  if (!resp.ok) throw new ApiError(resp.status, await serverMessage(resp));
  return resp;
}

// A JSON request; the parsed answer, or null for an empty one.
export async function call(method, url, { token, body } = {}) {
  const headers = {};
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const resp = await send(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  if (resp.status === 204) return null;
  const text = await resp.text();
  return text ? JSON.parse(text) : null;
}

export const arm = (method, path, body) => call(method, `${location.origin}${path}`, { token: tokens.management, body });
// A management-plane URL (a nextLink) fetched as it is.
export const armNext = (url) => call('GET', url, { token: tokens.management });

function vaultBase(vault) {
  return (vaults.get(vault)?.properties?.vaultUri ?? `https://${vault}.vault.localhost:${location.port}/`).replace(/\/$/, '');
}
const dataUrl = (vault, path) => `${vaultBase(vault)}/${path}${path.includes('?') ? '&' : '?'}${DATA_API}`;

export const data = (vault, method, path, body) => call(method, dataUrl(vault, path), { token: tokens.data, body });
// A data-plane URL (a nextLink, which carries its api-version) fetched as it is.
export const dataNext = (url) => call('GET', url, { token: tokens.data });

// A data-plane request whose body or answer is not JSON (whole-vault archives): the Response.
export function dataRaw(vault, method, path, body) {
  const headers = { Authorization: `Bearer ${tokens.data}` };
  if (body !== undefined) headers['Content-Type'] = 'application/octet-stream';
  return send(dataUrl(vault, path), { method, headers, body });
}

// Every page of a list (nextLink), up to `limit` items.
export async function listAll(first, next, limit = 500) {
  const out = [];
  let page = await first();
  for (;;) {
    out.push(...(page?.value ?? []));
    if (!page?.nextLink || out.length >= limit) return out;
    page = await next(page.nextLink);
  }
}

// The subscriptions the caller has any assignment in, and their vaults (kept in `vaults`).
export async function loadVaults() {
  const subs = await listAll(() => arm('GET', `/subscriptions?${SUB_API}`), armNext);
  vaults.clear();
  const rows = [];
  for (const sub of subs) {
    const list = await listAll(
      () => arm('GET', `/subscriptions/${sub.subscriptionId}/providers/Microsoft.KeyVault/vaults?${ARM_API}`), armNext);
    for (const v of list) {
      vaults.set(v.name, v);
      rows.push([sub, v]);
    }
  }
  return { subs, rows };
}

export async function vaultResource(vault) {
  if (!vaults.has(vault)) await loadVaults();
  return vaults.get(vault);
}

// ---- sign-in ------------------------------------------------------------------------------

export async function devModeAvailable() {
  // A scope nobody may ask for: 400 in dev mode, 404 outside it; no token is minted.
  const r = await fetch('/portal/dev-token', {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"scope":"-"}',
  });
  return r.status === 400;
}

export async function devSignIn() {
  for (const [kind, scope] of [['data', DATA_SCOPE], ['management', MGMT_SCOPE]]) {
    const r = await send('/portal/dev-token', {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ scope }),
    });
    tokens[kind] = (await r.json()).access_token;
  }
}

// The tenant, from the challenge a request without a token gets (as the Azure SDKs learn it).
export async function tenantId() {
  const r = await fetch(`/subscriptions?${SUB_API}`);
  const challenge = r.headers.get('WWW-Authenticate') ?? '';
  const m = /authorization="[^"]*\/([0-9a-fA-F-]{36})"/.exec(challenge);
  if (!m) throw new Error('The server did not name its tenant in its challenge.');
  return m[1];
}

export async function secretSignIn(clientId, clientSecret) {
  const tenant = await tenantId();
  for (const [kind, scope] of [['data', DATA_SCOPE], ['management', MGMT_SCOPE]]) {
    const form = new URLSearchParams({
      grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret, scope,
    });
    const r = await send(`/${tenant}/oauth2/v2.0/token`, { method: 'POST', body: form });
    tokens[kind] = (await r.json()).access_token;
  }
}

export function signOut() {
  tokens.data = tokens.management = null;
  vaults.clear();
}
