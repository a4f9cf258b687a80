// Coffer portal (CONTRACT.md "Portal"): a page with no framework and no inline code, in ES
// modules served from /portal/ (script-src 'self'). This module signs in and routes:
//   #/                          the vaults (vaults.js)
//   #/vault/<v>/<kind>          a vault's Secrets, Keys or Certificates tab (objects.js)
//   #/vault/<v>/<kind>/<name>   an object (object.js)
//   #/vault/<v>/access          the vault's role assignments (roles.js)
// Sign-in: the dev client (POST /portal/dev-token, dev mode only) or a client id and secret
// (the token endpoint); tokens stay in memory (api.js). Every error shows the server's message.
import { devModeAvailable, devSignIn, secretSignIn, signOut, tokens } from './api.js';
import { KINDS, objectListPage } from './objects.js';
import { objectPage } from './object.js';
import { accessPage } from './roles.js';
import { $, crumbs, guard, setRenderer } from './ui.js';
import { vaultListPage } from './vaults.js';

async function render() {
  const signedIn = Boolean(tokens.data && tokens.management);
  $('sign-in').hidden = signedIn;
  $('sign-out').hidden = !signedIn;
  if (!signedIn) {
    $('view').hidden = true;
    crumbs();
    return;
  }
  const parts = location.hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  if (parts[0] === 'vault' && parts[1]) {
    if (parts[2] === 'access') return accessPage(parts[1]);
    const kind = KINDS[parts[2]] ? parts[2] : 'secrets';
    if (parts[3]) return objectPage(parts[1], kind, parts[3]);
    return objectListPage(parts[1], kind);
  }
  return vaultListPage();
}

function start() {
  setRenderer(render);
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
  $('sign-out').addEventListener('click', () => {
    signOut();
    location.hash = '#/';
    render();
  });
  window.addEventListener('hashchange', () => guard(render, true));
  guard(async () => {
    $('dev-sign-in').hidden = !(await devModeAvailable());
    await render();
  });
}

start();
