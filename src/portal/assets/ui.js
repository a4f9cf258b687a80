// The page's building blocks: elements, the error and notice boxes, guard (every action's error
// shown as the server's message), forms, downloads, and formatting. No API calls here.
import { tokens } from './api.js';

export const $ = (id) => document.getElementById(id);

// h('button', {type: 'button', onclick: f}, 'Text', child …): an element, text as text nodes.
export function h(tag, attrs = {}, ...children) {
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

export function showError(message) {
  const box = $('error');
  box.textContent = message;
  box.hidden = !message;
}

export function notify(message) {
  const box = $('notice');
  box.textContent = message;
  box.hidden = !message;
}

// The router's render, registered by app.js (pages re-render after an action).
let renderPage = async () => {};
export function setRenderer(fn) { renderPage = fn; }
export const render = () => renderPage();

// Runs fn, showing its error as the server's message (ApiError carries it). A navigation keeps
// the notice of the action that caused it (keepNotice).
export async function guard(fn, keepNotice = false) {
  showError('');
  if (!keepNotice) notify('');
  try {
    await fn();
  } catch (e) {
    showError(e.status === 401 && tokens.data ? `${e.message} (Sign in again.)` : e.message);
  }
}

export function crumbs(...items) {
  $('crumbs').replaceChildren(...items.map(([text, href]) => (href ? h('a', { href }, text) : h('span', {}, text))));
}

// Replaces the view with a page; its heading takes the focus (keyboard users start there).
export function page(title, ...children) {
  const view = $('view');
  view.replaceChildren(h('h1', {}, title), ...children);
  view.hidden = false;
  const heading = view.querySelector('h1');
  heading.tabIndex = -1;
  heading.focus({ preventScroll: true });
}

export const vaultHref = (vault, tab = 'secrets') => `#/vault/${encodeURIComponent(vault)}/${tab}`;

// The tabs of a vault's pages: the three object kinds and its access control.
export const TABS = [['secrets', 'Secrets'], ['keys', 'Keys'], ['certificates', 'Certificates'], ['access', 'Access control']];
export function tabs(vault, current) {
  return h('div', { class: 'tabs', role: 'tablist', 'aria-label': 'Vault pages' },
    TABS.map(([tab, label]) => h('a', {
      role: 'tab', class: 'button', href: vaultHref(vault, tab), 'aria-selected': tab === current ? 'true' : 'false',
    }, label)));
}

// A toggle button's state (aria-expanded); returns true when it has just been closed.
export function toggled(button, area) {
  if (button.getAttribute('aria-expanded') === 'true') {
    button.setAttribute('aria-expanded', 'false');
    area.replaceChildren();
    return true;
  }
  button.setAttribute('aria-expanded', 'true');
  return false;
}

// One labelled control of a form: {id, label, type?, value?, options?: [value | [value, text]],
// optional?, rows? (a textarea), hint?}.
function control(f) {
  if (f.options) {
    return h('select', { id: f.id }, f.options.map((o) => {
      const [value, text] = Array.isArray(o) ? o : [o, o];
      return h('option', { value, selected: value === f.value }, text);
    }));
  }
  if (f.rows) return h('textarea', { id: f.id, rows: f.rows, 'aria-describedby': f.hint ? `${f.id}-hint` : undefined }, f.value ?? '');
  if (f.type === 'checkbox') return h('input', { id: f.id, type: 'checkbox', checked: f.value === true });
  return h('input', {
    id: f.id, type: f.type ?? 'text', value: f.value ?? '', autocomplete: 'off',
    required: f.optional ? undefined : true, 'aria-describedby': f.hint ? `${f.id}-hint` : undefined,
  });
}

// A form in `area` with labelled fields and a submit button; onSubmit gets {id: value} (a
// checkbox's value is its checked state) and runs under guard. Toggled by `button`.
export function toggleForm(button, area, title, fields, submitText, onSubmit) {
  if (toggled(button, area)) return;
  const inputs = fields.map(control);
  const form = h('form', {}, h('h2', {}, title),
    fields.map((f, i) => [h('label', { for: f.id }, f.label), inputs[i],
      f.hint ? h('p', { class: 'hint', id: `${f.id}-hint` }, f.hint) : null]),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, submitText)));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const values = Object.fromEntries(fields.map((f, i) => [f.id, f.type === 'checkbox' ? inputs[i].checked : inputs[i].value]));
    guard(() => onSubmit(values));
  });
  area.replaceChildren(form);
  inputs[0].focus();
}

export const count = (n, one) => `${n ?? 0} ${one}${n === 1 ? '' : 's'}`;
// The name in an object id https://<vault>/<kind>/<name>[/<version>].
export const nameOf = (id) => decodeURIComponent(new URL(id).pathname.split('/')[2] ?? '');
export const versionOf = (id) => (id ? new URL(id).pathname.split('/')[3] ?? '' : '');
// Unix seconds as an RFC 3339 UTC time, or a dash.
export const when = (t) => (t ? new Date(t * 1000).toISOString().replace('.000Z', 'Z') : '—');
// Unix seconds ↔ the value of an <input type="datetime-local"> read as UTC.
export const toLocalInput = (t) => (t ? new Date(t * 1000).toISOString().slice(0, 16) : '');
export const fromLocalInput = (s) => (s ? Math.floor(Date.parse(`${s}Z`) / 1000) : null);
export const today = () => new Date().toISOString().slice(0, 10).replace(/-/g, '');

export function b64urlToBytes(s) {
  const b64 = s.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((s.length + 3) % 4);
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

// A certificate's `cer` (standard base64 of its DER) as bytes, and as PEM.
export const b64ToBytes = (s) => b64urlToBytes(s.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, ''));
export const pemOf = (cer) => `-----BEGIN CERTIFICATE-----\n${cer.match(/.{1,64}/g).join('\n')}\n-----END CERTIFICATE-----\n`;

export function bytesToB64url(bytes) {
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export function download(bytes, filename) {
  const url = URL.createObjectURL(new Blob([bytes], { type: 'application/octet-stream' }));
  const a = h('a', { href: url, download: filename });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

// A hidden file input opened by a button; onFile(file) runs under guard.
export function filePicker(id, accept, onFile) {
  const input = h('input', { type: 'file', id, accept, hidden: true, tabindex: -1 });
  input.addEventListener('change', () => {
    const f = input.files[0];
    input.value = '';
    if (f) guard(() => onFile(f));
  });
  return input;
}
