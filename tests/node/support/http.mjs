// Raw HTTPS helpers for what the SDKs cannot send: malformed bodies, odd headers, forged tokens,
// byte-level garbage. Nothing here throws on a non-2xx answer; every wait is bounded.
//
// The TLS trust comes from NODE_EXTRA_CA_CERTS (set by run-tests.mjs); pass `ca` to override.
import assert from 'node:assert/strict';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';

export const API = 'api-version=7.6';
const DEFAULT_TIMEOUT_MS = 30_000;

/** `true` when `host` is an IP literal (no SNI may be sent for those). */
function isIp(host) {
  return net.isIP(host.replace(/^\[|\]$/g, '')) !== 0;
}

/**
 * One HTTPS request to 127.0.0.1:<port>, with TLS name and Host header `host` (default
 * 127.0.0.1). Options: method, path, headers, body (Buffer | string | any JSON value, the last
 * serialised with Content-Type application/json; pass `json: false` to send a string as-is),
 * token (adds `Authorization: Bearer`), hostHeader (overrides only the Host header), timeoutMs.
 * Large bodies are written in chunks and writing stops as soon as the server answers, so an early
 * 413 is seen rather than a broken pipe.
 * Resolves to {status, headers, body, bytes, json}; `bytes` is the raw body (a Buffer), `json`
 * is undefined when the body is not JSON.
 */
export function rawRequest({
  port, host = '127.0.0.1', method = 'GET', path = '/', headers = {}, body, token,
  hostHeader, timeoutMs = DEFAULT_TIMEOUT_MS, ca,
}) {
  const hdrs = {};
  for (const [k, v] of Object.entries(headers)) hdrs[k.toLowerCase()] = v;
  if (hdrs.host === undefined) hdrs.host = hostHeader ?? `${host}:${port}`;
  if (token && hdrs.authorization === undefined) hdrs.authorization = `Bearer ${token}`;
  let payload = null;
  if (body !== undefined) {
    if (Buffer.isBuffer(body) || body instanceof Uint8Array) payload = Buffer.from(body);
    else if (typeof body === 'string') payload = Buffer.from(body, 'utf8');
    else {
      payload = Buffer.from(JSON.stringify(body), 'utf8');
    }
    if (hdrs['content-type'] === undefined) hdrs['content-type'] = 'application/json';
  }
  if (hdrs['content-length'] === undefined && hdrs['transfer-encoding'] === undefined) {
    hdrs['content-length'] = String(payload ? payload.length : 0);
  }

  return new Promise((resolve, reject) => {
    let answered = false;
    const req = https.request({
      host: '127.0.0.1',
      port,
      method,
      path,
      headers: hdrs,
      agent: false,
      servername: isIp(host) ? undefined : host,
      // With an IP literal as `host`, identity is checked against 127.0.0.1; otherwise against `host`.
      checkServerIdentity: (_name, cert) => tls.checkServerIdentity(isIp(host) ? '127.0.0.1' : host, cert),
      ca,
      timeout: timeoutMs,
    }, (res) => {
      answered = true;
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        clearTimeout(hard);
        const bytes = Buffer.concat(chunks);
        const text = bytes.toString('utf8');
        let json;
        try { json = text.length ? JSON.parse(text) : undefined; } catch { json = undefined; }
        resolve({ status: res.statusCode, headers: res.headers, body: text, bytes, json });
      });
      res.on('error', (err) => { clearTimeout(hard); reject(err); });
    });
    const hard = setTimeout(() => {
      req.destroy(new Error(`${method} ${path}: no complete answer within ${timeoutMs} ms`));
    }, timeoutMs);
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: socket idle for ${timeoutMs} ms`)));
    req.on('error', (err) => {
      // An error after the answer arrived (the server closed while we were still writing a
      // body it had refused) does not matter; the response handler settles the promise.
      if (!answered) { clearTimeout(hard); reject(err); }
    });
    if (!payload || payload.length <= 1 << 20) {
      req.end(payload ?? undefined);
      return;
    }
    let offset = 0;
    const step = 64 * 1024;
    const pump = () => {
      while (!answered && offset < payload.length) {
        const chunk = payload.subarray(offset, offset + step);
        offset += chunk.length;
        if (!req.write(chunk)) { req.once('drain', pump); return; }
      }
      if (!answered) req.end();
    };
    pump();
  });
}

/**
 * Sends arbitrary bytes over TLS to 127.0.0.1:<port> and collects what comes back until the
 * server closes, `idleMs` pass without data after something arrived, or `timeoutMs` pass.
 * Resolves to {text, status, closed, timedOut}; `status` is parsed from the first status line.
 */
export function rawTls({ port, servername = 'localhost', data, timeoutMs = 10_000, idleMs = 1_500, ca }) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let done = false;
    let idle = null;
    const finish = (closed, timedOut) => {
      if (done) return;
      done = true;
      clearTimeout(hard);
      clearTimeout(idle);
      sock.destroy();
      const text = Buffer.concat(chunks).toString('latin1');
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      resolve({ text, status: m ? Number(m[1]) : null, closed, timedOut });
    };
    const sock = tls.connect({ host: '127.0.0.1', port, servername: isIp(servername) ? undefined : servername, ca }, () => {
      for (const part of Array.isArray(data) ? data : [data]) sock.write(part);
    });
    const hard = setTimeout(() => finish(false, true), timeoutMs);
    sock.on('data', (c) => {
      chunks.push(c);
      clearTimeout(idle);
      idle = setTimeout(() => finish(false, false), idleMs);
    });
    sock.on('end', () => finish(true, false));
    sock.on('close', () => finish(true, false));
    // A reset after (or instead of) an answer counts as the server closing the connection;
    // only a failure to connect at all is an error.
    let connected = false;
    sock.once('secureConnect', () => { connected = true; });
    sock.on('error', (err) => {
      if (connected) finish(true, false);
      else if (!done) { done = true; clearTimeout(hard); reject(err); }
    });
  });
}

/** A path with `api-version=7.6` appended (keeps an existing query). */
export function withApi(path, apiVersion = '7.6') {
  return `${path}${path.includes('?') ? '&' : '?'}api-version=${apiVersion}`;
}

/**
 * Asserts a Key Vault error envelope `{error: {code, message}}` with the given status (and code,
 * when given). Returns the error object for further checks.
 */
export function assertErrorEnvelope(res, status, code) {
  const where = `${res.status} ${res.body.slice(0, 500)}`;
  if (Array.isArray(status)) assert.ok(status.includes(res.status), `expected one of ${status}, got ${where}`);
  else assert.equal(res.status, status, `expected ${status}, got ${where}`);
  assert.ok(res.json && typeof res.json.error === 'object' && res.json.error !== null, `no error envelope: ${where}`);
  assert.equal(typeof res.json.error.code, 'string', `error.code missing: ${where}`);
  assert.ok(res.json.error.code.length > 0, `error.code empty: ${where}`);
  assert.equal(typeof res.json.error.message, 'string', `error.message missing: ${where}`);
  if (code !== undefined) assert.equal(res.json.error.code, code, `error.code: ${where}`);
  return res.json.error;
}
