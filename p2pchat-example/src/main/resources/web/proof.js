// Checks an identity's certificate proof in the page, from the node's answer alone, with WebCrypto
// (docs/ledger.md §3, §5.1, §5.2): the transaction's leaf hash SHA-256(0x00 || transaction) is
// hashed up the RFC 6962 audit path with SHA-256(0x01 || left || right) (the algorithm of RFC 9162
// §2.1.3.2) and must equal the Merkle root in the 156-byte block header; SHA-256(header) must be
// the block hash the node named, meet the header's target, and the header's height the block's.

const HEADER_LENGTH = 156;
const MAX_PROOF_LENGTH = 32;
const LEAF_PREFIX = 0x00;
const NODE_PREFIX = 0x01;

/** Bytes from lowercase or uppercase hex; null for anything else. */
export function fromHex(hex) {
  if (typeof hex !== 'string' || hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) return null;
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.substr(i * 2, 2), 16);
  return out;
}

export function toHex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

async function sha256(...parts) {
  const length = parts.reduce((n, p) => n + p.length, 0);
  const input = new Uint8Array(length);
  let at = 0;
  for (const p of parts) {
    input.set(p, at);
    at += p.length;
  }
  return new Uint8Array(await crypto.subtle.digest('SHA-256', input));
}

function equal(a, b) {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function bigEndian(bytes) {
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  return v;
}

/**
 * RFC 9162 §2.1.3.2: the root that `path` proves for leaf `index` of `size` leaves, or null when
 * the path's length is not the one (index, size) determines.
 */
export async function rootFromPath(leafHash, index, size, path) {
  if (!(index >= 0 && index < size) || path.length > MAX_PROOF_LENGTH) return null;
  let fn = BigInt(index);
  let sn = BigInt(size - 1);
  let r = leafHash;
  const node = new Uint8Array([NODE_PREFIX]);
  for (const p of path) {
    if (p.length !== 32 || sn === 0n) return null;
    if ((fn & 1n) === 1n || fn === sn) {
      r = await sha256(node, p, r);
      if ((fn & 1n) === 0n) {
        while ((fn & 1n) === 0n && fn !== 0n) {
          fn >>= 1n;
          sn >>= 1n;
        }
      }
    } else {
      r = await sha256(node, r, p);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  return sn === 0n ? r : null;
}

/**
 * Verifies `cert` (the `certificate` of a `/whois` answer). Resolves to {ok, checks: [{name, ok,
 * detail}], reason}; never rejects: malformed input is a failed check.
 */
export async function verifyCertificate(cert) {
  const checks = [];
  const fail = (name, detail) => {
    checks.push({name, ok: false, detail});
    return {ok: false, checks, reason: name + ': ' + detail};
  };
  if (!cert || typeof cert !== 'object') return fail('answer', 'no certificate in the answer');
  if (!(crypto && crypto.subtle)) return fail('WebCrypto', 'not available in this page');
  const header = fromHex(cert.block_header);
  const tx = fromHex(cert.transaction);
  const path = Array.isArray(cert.proof) ? cert.proof.map(fromHex) : null;
  if (!header || header.length !== HEADER_LENGTH) return fail('block header', 'not 156 bytes of hex');
  if (!tx || tx.length === 0) return fail('transaction', 'missing or not hex');
  if (!path || path.some((p) => !p || p.length !== 32)) return fail('audit path', 'not a list of 32-byte hashes');
  if (!Number.isSafeInteger(cert.tx_index) || !Number.isSafeInteger(cert.tx_count)) {
    return fail('position', 'tx_index and tx_count must be integers');
  }

  const leaf = await sha256(new Uint8Array([LEAF_PREFIX]), tx);
  const root = await rootFromPath(leaf, cert.tx_index, cert.tx_count, path);
  const headerRoot = header.slice(44, 76);
  if (!root) {
    return fail('inclusion', 'an audit path of ' + path.length + ' hashes does not fit transaction '
      + (cert.tx_index + 1) + ' of ' + cert.tx_count);
  }
  if (!equal(root, headerRoot)) {
    return fail('inclusion', 'the path gives root ' + toHex(root).slice(0, 16)
      + '…, the block header says ' + toHex(headerRoot).slice(0, 16) + '…');
  }
  checks.push({name: 'inclusion', ok: true, detail: 'SHA-256(0x00 ‖ transaction)'
    + (path.length === 0 ? ', the block\'s only transaction,'
      : ' up ' + path.length + (path.length === 1 ? ' hash' : ' hashes'))
    + ' = the header\'s Merkle root ' + toHex(root).slice(0, 16) + '…'});

  const hash = await sha256(header);
  if (toHex(hash) !== String(cert.block).toLowerCase()) {
    return fail('block hash', 'SHA-256(header) is ' + toHex(hash).slice(0, 16) + '…, the node named '
      + String(cert.block).slice(0, 16) + '…');
  }
  const height = bigEndian(header.slice(4, 12));
  if (String(height) !== String(cert.block_height)) {
    return fail('block height', 'the header says #' + height + ', the node #' + cert.block_height);
  }
  if (bigEndian(hash) > bigEndian(header.slice(84, 116))) {
    return fail('proof of work', 'the block hash is above the header\'s target');
  }
  checks.push({name: 'block', ok: true, detail: 'SHA-256(header) = block #' + height + ' '
    + toHex(hash).slice(0, 16) + '…, within its target'});
  return {ok: true, checks, reason: null};
}
