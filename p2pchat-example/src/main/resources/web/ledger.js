// The ledger panel's identity lookup: sends the console's `/whois NAME` and shows the answer, the
// identity's record (state, key history, block, confirmations) and its certificate proof, which
// proof.js verifies in this page from the answer alone.

import {h, fill, short} from './dom.js';
import {verifyCertificate} from './proof.js';

let shown = 0; // the latest answer drawn; an older verification finishing late is dropped

/** Wires the lookup form; `send(line)` sends a command line and says whether it went. */
export function startLedgerPanel(send) {
  const form = document.getElementById('lookup-form');
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const input = document.getElementById('lookup');
    const who = input.value.trim();
    if (!who) return;
    if (/\s/.test(who)) {
      fill('identity-record', h('p', {class: 'muted'}, 'A name or an id has no spaces.'));
      return;
    }
    if (send('/whois ' + who)) {
      fill('identity-record', h('p', {class: 'muted'}, 'Looking up ' + who + '…'));
    }
  });
}

/** A `whois` answer: the record now, the proof's verdict when the page has checked it. */
export function showIdentity(e) {
  const n = ++shown;
  const id = e.identity || {};
  const cert = e.certificate || null;
  const proof = h('div', {class: 'proof', 'data-state': cert ? 'checking' : 'none'},
    cert ? 'Checking the proof in this page…' : 'No certificate: the identity is revoked, or the block of its key is not stored here.');
  fill('identity-record', record(id), h('h3', {}, 'Certificate proof'), proof,
    cert ? certificate(cert) : null);
  if (!cert) return;
  verifyCertificate(cert).then((result) => {
    if (n !== shown) return;
    proof.dataset.state = result.ok ? 'verified' : 'failed';
    proof.replaceChildren(
      h('strong', {}, result.ok ? '✓ proof verified in this page'
        : '✗ PROOF FAILED in this page: do not trust this certificate'),
      h('ul', {class: 'checks'}, result.checks.map((c) =>
        h('li', {'data-state': c.ok ? 'ok' : 'failed'}, (c.ok ? '✓ ' : '✗ ') + c.name + ': ' + c.detail))),
      h('div', {class: 'muted small'}, 'The node\'s own check (signatures, key): '
        + (cert.verified ? 'verified' : 'FAILED')));
    proof.scrollIntoView({block: 'nearest'});
  });
}

function record(id) {
  const rows = [
    ['name', id.name || '(no name)'],
    ['id', h('span', {class: 'mono', title: id.identity_id || ''}, short(id.identity_id, 16))],
    ['state', id.state || id.identity_state || ''],
    ['key', h('span', {class: 'mono', title: id.key_id || ''}, short(id.key_id, 16))],
    ['block', typeof id.key_height === 'number' ? '#' + id.key_height : ''],
    ['confirmations', typeof id.confirmations === 'number'
      ? id.confirmations + (typeof id.required_confirmations === 'number' ? ' (needs ' + id.required_confirmations + ')' : '') : ''],
  ];
  if (Array.isArray(id.addresses) && id.addresses.length) {
    rows.push(['addresses', id.addresses.map((a) => a.host + ':' + a.port).join(', ')]);
  }
  const history = Array.isArray(id.key_history) ? id.key_history : [];
  return [
    h('h3', {}, 'Identity record'),
    h('dl', {class: 'facts'}, rows.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])),
    history.length ? h('ol', {class: 'key-history', 'aria-label': 'key history'}, history.map((k) =>
      h('li', {'data-state': k.state || ''},
        h('span', {class: 'mono', title: k.key_id || ''}, short(k.key_id, 12)),
        ' #' + k.height + ' ',
        h('span', {class: 'muted'}, k.state || '')))) : null,
  ];
}

function certificate(c) {
  const path = Array.isArray(c.proof) ? c.proof : [];
  return [
    h('dl', {class: 'facts'},
      h('dt', {}, 'transaction'), h('dd', {}, (c.tx_index + 1) + ' of ' + c.tx_count + ' in block #' + c.block_height),
      h('dt', {}, 'block'), h('dd', {class: 'mono', title: c.block || ''}, short(c.block, 16)),
      h('dt', {}, 'Merkle root'), h('dd', {class: 'mono', title: c.merkle_root || ''}, short(c.merkle_root, 16)),
      h('dt', {}, 'confirmations'), h('dd', {}, c.confirmations),
      h('dt', {}, 'audit path'), h('dd', {}, path.length
        ? path.length + (path.length === 1 ? ' hash' : ' hashes') + ', leaf to root'
        : 'none: the block\'s only transaction')),
    h('ol', {class: 'audit-path', 'aria-label': 'audit path, leaf to root'},
      path.map((p) => h('li', {class: 'mono', title: p}, short(p, 24)))),
  ];
}

/** A block's work (expected hashes, a decimal string) for the list of latest blocks. */
export function formatWork(work) {
  if (typeof work !== 'string' || !/^[0-9]+$/.test(work)) return '';
  const v = BigInt(work);
  if (v < 1000000n) return 'work ' + v;
  return 'work 2^' + (v.toString(2).length - 1);
}
