// Loaded with `node --import ./support/localhost-dns.mjs`, before any test code.
//
// Coffer serves every vault at https://<vault>.vault.localhost:<port>. glibc resolves plain
// `localhost` (often to ::1 first) but not arbitrary `*.localhost` names, and the dev server
// listens on 127.0.0.1 only. This shim makes `localhost` and every `*.localhost` name resolve to
// 127.0.0.1 for everything in the process that goes through dns.lookup (node:net, node:tls,
// node:https, undici, MSAL, the Azure SDK pipelines), and hands every other name to the
// original resolver unchanged.
//
// Handled call forms: lookup(name, cb), lookup(name, family, cb), lookup(name, options, cb) with
// options.all / options.family, and dns.promises.lookup(name[, options|family]).
import dns from 'node:dns';
import dnsPromises from 'node:dns/promises';
import { syncBuiltinESMExports } from 'node:module';

const LOOPBACK = '127.0.0.1';

/** True for `localhost`, `*.localhost` (any case, optional trailing dot). */
export function isLocalhostName(hostname) {
  if (typeof hostname !== 'string') return false;
  const name = hostname.toLowerCase().replace(/\.$/, '');
  return name === 'localhost' || name.endsWith('.localhost');
}

function wantsAll(options) {
  return options !== null && typeof options === 'object' && options.all === true;
}

function wantedFamily(options) {
  if (typeof options === 'number') return options;
  if (options !== null && typeof options === 'object') {
    const { family } = options;
    if (family === 'IPv4') return 4;
    if (family === 'IPv6') return 6;
    if (typeof family === 'number') return family;
  }
  return 0;
}

// The answer for a localhost name, shaped like dns.lookup's. A caller that insists on IPv6 gets
// ENOTFOUND, exactly as if the name had no AAAA record; the server is IPv4-only in tests.
function localAnswer(hostname, options) {
  if (wantedFamily(options) === 6) {
    const err = new Error(`getaddrinfo ENOTFOUND ${hostname} (localhost-dns shim: IPv4 only)`);
    err.code = 'ENOTFOUND';
    err.errno = -3008;
    err.syscall = 'getaddrinfo';
    err.hostname = hostname;
    return { err };
  }
  if (wantsAll(options)) return { all: [{ address: LOOPBACK, family: 4 }] };
  return { address: LOOPBACK, family: 4 };
}

const originalLookup = dns.lookup;
const originalPromisesLookup = dnsPromises.lookup;

function lookup(hostname, options, callback) {
  if (typeof options === 'function') {
    callback = options;
    options = undefined;
  }
  if (!isLocalhostName(hostname)) {
    return options === undefined
      ? originalLookup.call(dns, hostname, callback)
      : originalLookup.call(dns, hostname, options, callback);
  }
  if (typeof callback !== 'function') {
    throw new TypeError('The "callback" argument must be of type function');
  }
  const answer = localAnswer(hostname, options);
  process.nextTick(() => {
    if (answer.err) callback(answer.err);
    else if (answer.all) callback(null, answer.all);
    else callback(null, answer.address, answer.family);
  });
  return {};
}

async function promisesLookup(hostname, options) {
  if (!isLocalhostName(hostname)) {
    return options === undefined
      ? originalPromisesLookup.call(dnsPromises, hostname)
      : originalPromisesLookup.call(dnsPromises, hostname, options);
  }
  const answer = localAnswer(hostname, options);
  if (answer.err) throw answer.err;
  return answer.all ?? { address: answer.address, family: answer.family };
}

dns.lookup = lookup;
dnsPromises.lookup = promisesLookup;
// `dns.promises` is the same object as `node:dns/promises`; patch it explicitly in case a Node
// version hands out a distinct one.
if (dns.promises && dns.promises.lookup !== promisesLookup) dns.promises.lookup = promisesLookup;
// Make `import { lookup } from 'node:dns'` see the patched functions too.
syncBuiltinESMExports();
