// Small JWT helpers for forging tokens in identity tests (never used to accept anything).
import crypto from 'node:crypto';

export const b64url = (buf) => Buffer.from(buf).toString('base64url');
export const fromB64url = (s) => Buffer.from(s, 'base64url');
export const encodeJson = (obj) => b64url(JSON.stringify(obj));

/** Splits a compact JWS into {header, payload, parts}. */
export function decodeJwt(token) {
  const parts = token.split('.');
  if (parts.length !== 3) throw new Error(`not a compact JWS: ${parts.length} parts`);
  return {
    header: JSON.parse(fromB64url(parts[0]).toString('utf8')),
    payload: JSON.parse(fromB64url(parts[1]).toString('utf8')),
    parts,
  };
}

/** header.payload.signature with the given (already encoded) signature. */
export const assemble = (header, payload, signature = '') => `${encodeJson(header)}.${encodeJson(payload)}.${signature}`;

/** HS256 over header.payload with `secret` (Buffer or string). */
export function signHs256(header, payload, secret) {
  const input = `${encodeJson(header)}.${encodeJson(payload)}`;
  return `${input}.${b64url(crypto.createHmac('sha256', secret).update(input).digest())}`;
}

/** Signs with an attacker's own key (ES256, raw R||S) — a token Coffer did not sign. */
export function signEs256(header, payload, privateKey) {
  const input = `${encodeJson(header)}.${encodeJson(payload)}`;
  const sig = crypto.sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' });
  return `${input}.${b64url(sig)}`;
}

/** Verifies a compact JWS (ES256 / RS256) against a public JWK; true when valid. */
export function verifyWithJwk(token, jwk) {
  const { header, parts } = decodeJwt(token);
  const key = crypto.createPublicKey({ key: jwk, format: 'jwk' });
  const input = Buffer.from(`${parts[0]}.${parts[1]}`);
  const sig = fromB64url(parts[2]);
  if (header.alg === 'ES256') return crypto.verify('sha256', input, { key, dsaEncoding: 'ieee-p1363' }, sig);
  if (header.alg === 'RS256') return crypto.verify('sha256', input, key, sig);
  throw new Error(`unexpected alg ${header.alg}`);
}
