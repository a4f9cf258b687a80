// Byte-level scanner for the at-rest contract (DESIGN.md §2 "Files in the data dir"): finds a
// needle (an object name or a secret value) in files, in every encoding a careless layer could
// write it in — raw bytes, UTF-16LE/BE, lower/upper hex, and standard/url base64 at all three
// byte alignments, so a needle embedded at any offset of an encoded blob is still found.
import fs from 'node:fs';
import path from 'node:path';

/**
 * The base64 text that any encoding of `prefix-bytes + needle + anything` must contain, for each
 * of the three possible alignments of the needle. Leading characters that mix prefix bits and
 * trailing characters that mix following bits are dropped.
 */
function base64Forms(bytes, encoding) {
  const out = [];
  for (let k = 0; k < 3; k += 1) {
    const text = Buffer.concat([Buffer.alloc(k, 0), bytes]).toString(encoding).replace(/=+$/, '');
    const lead = Math.ceil((k * 8) / 6);
    const trail = (k + bytes.length) % 3 === 0 ? 0 : 1;
    const core = text.slice(lead, text.length - trail);
    if (core.length >= 8) out.push([`${encoding}@${k}`, Buffer.from(core, 'latin1')]);
  }
  return out;
}

/**
 * [formName, Buffer] for every encoding of `needle` the scanner looks for: an ASCII string, or a
 * Buffer of binary bytes (key material), which has no UTF-16 forms.
 */
export function needleForms(needle) {
  const raw = Buffer.isBuffer(needle) ? needle : Buffer.from(needle, 'utf8');
  const wide = [];
  if (!Buffer.isBuffer(needle)) {
    const le = Buffer.from(needle, 'utf16le');
    const be = Buffer.from(le);
    be.swap16();
    wide.push(['utf16le', le], ['utf16be', be]);
  }
  const hex = raw.toString('hex');
  return [
    ['plain', raw],
    ...wide,
    ['hex', Buffer.from(hex, 'latin1')],
    ['HEX', Buffer.from(hex.toUpperCase(), 'latin1')],
    ...base64Forms(raw, 'base64'),
    ...base64Forms(raw, 'base64url'),
  ];
}

/** Every regular file under `dir`, as paths relative to it (with '/' separators). */
export function listFiles(dir) {
  const out = [];
  const walk = (rel) => {
    let entries;
    try {
      entries = fs.readdirSync(path.join(dir, rel), { withFileTypes: true });
    } catch (err) {
      if (err.code === 'ENOENT') return; // removed while we walk (a running server)
      throw err;
    }
    for (const e of entries) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(r);
      else if (e.isFile()) out.push(r);
    }
  };
  walk('');
  return out.sort();
}

/**
 * Scans every file under `dir` for which `include(rel)` is true. `needles` is a list of
 * {text, kind} (text: a string, or a Buffer of binary bytes); `appliesTo(rel, needle)`
 * (default: always) can exempt a file from a kind.
 * Returns {files: [rel], findings: [{file, needle, kind, form, offset}]}; file names are checked
 * too (form 'file name').
 */
export function scanDir(dir, needles, { include = () => true, appliesTo = () => true } = {}) {
  const forms = needles.map((n) => ({ ...n, forms: needleForms(n.text) }));
  const files = listFiles(dir).filter(include);
  const findings = [];
  for (const rel of files) {
    let data;
    try {
      data = fs.readFileSync(path.join(dir, rel));
    } catch (err) {
      if (err.code === 'ENOENT') continue;
      throw err;
    }
    for (const n of forms) {
      if (!appliesTo(rel, n)) continue;
      if (!Buffer.isBuffer(n.text) && rel.toLowerCase().includes(n.text.toLowerCase())) {
        findings.push({ file: rel, needle: n.text, kind: n.kind, form: 'file name', offset: -1 });
      }
      for (const [form, bytes] of n.forms) {
        const offset = data.indexOf(bytes);
        if (offset !== -1) findings.push({ file: rel, needle: n.text, kind: n.kind, form, offset });
      }
    }
  }
  return { files, findings };
}
