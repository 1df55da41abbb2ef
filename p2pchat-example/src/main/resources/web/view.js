// Draws the model. Every value (names, texts, addresses, fingerprints) goes through dom.js's h(),
// fill() and text(), which insert text only.

import {h, fill, text, short, clock} from './dom.js';
import {formatWork} from './ledger.js';

// The four buttons of the original design, then what happens during a session.
const STEP_NAMES = {
  tcp: 'Connect',
  certificate: 'Swap public keys',
  authentication: 'Authenticate by signature',
  key_agreement: 'Agree on the key',
  ratchet: 'Ratchet',
  key_update: 'Key update',
  rekey: 'Rekey',
};

const STATE_LABELS = {queued: 'queued', sent: 'sent', delivered: 'delivered', received: ''};

export function render(model, actions) {
  renderTop(model);
  renderConversations(model, actions);
  renderPeers(model, actions);
  renderChat(model);
  renderHandshake(model);
  renderFingerprints(model, actions);
  renderLedger(model);
  renderActivity(model);
}

function renderTop(m) {
  const id = m.identity;
  if (!id.id && !id.name) {
    fill('identity', h('span', {class: 'muted'}, 'waiting for the node…'));
  } else fill('identity',
    h('span', {class: 'name'}, id.name || 'unnamed'),
    id.id ? h('span', {class: 'mono muted', title: id.id}, short(id.id)) : null,
    id.state ? h('span', {class: 'badge', 'data-state': id.state}, id.state) : null);
  text('network', m.network.name ? 'network ' + m.network.name : '');
  text('height', typeof m.ledger.height === 'number' ? 'height ' + m.ledger.height : '');
  const p = document.getElementById('progress');
  p.hidden = !m.progress;
  if (m.progress) {
    const f = Math.max(0, Math.min(1, Number(m.progress.fraction) || 0));
    document.getElementById('progress-fill').style.width = (f * 100).toFixed(1) + '%';
    text('progress-label', m.progress.label);
  }
  const banner = document.getElementById('banner');
  banner.hidden = !m.banner;
  banner.textContent = m.banner || '';
}

function renderConversations(m, actions) {
  const items = [...m.conversations.values()].map((c) => {
    const last = c.messages[c.messages.length - 1];
    const li = h('li', {class: 'item' + (c.key === m.current ? ' active' : ''), role: 'button'},
      h('div', {class: 'item-main'},
        h('span', {class: 'name'}, c.name),
        c.unread > 0 ? h('span', {class: 'unread', 'aria-label': c.unread + ' unread'}, c.unread) : null),
      h('div', {class: 'item-sub muted'}, last ? last.text : 'no messages yet'));
    li.addEventListener('click', () => actions.open(c.key));
    return li;
  });
  fill('conversations', items.length ? items : h('li', {class: 'empty muted'},
    'No conversations yet. Type /connect NAME to reach someone.'));
}

function renderPeers(m, actions) {
  const peers = [...m.peers.values()];
  text('peer-count', peers.length);
  fill('peers', peers.length ? peers.map((p) => {
    const li = h('li', {class: 'item', role: 'button', title: p.key_id || ''},
      h('div', {class: 'item-main'},
        h('span', {class: 'dot', 'data-state': p.access || ''}),
        h('span', {class: 'name'}, p.peer),
        p.access && p.access !== 'FULL'
          ? h('span', {class: 'tag warn', title: 'its registration is not confirmed yet: ledger sync only'}, 'sync only')
          : null),
      h('div', {class: 'item-sub muted'},
        (p.direction === 'inbound' ? 'inbound' : 'outbound') + ' · ',
        h('span', {class: 'mono'}, p.listen_address || p.address || '')));
    li.addEventListener('click', () => actions.open(p.peer));
    return li;
  }) : h('li', {class: 'empty muted'}, 'No peer connected.'));
}

function renderChat(m) {
  if (m.refused) {
    fill('messages', h('li', {class: 'card'},
      h('h3', {}, 'This page has no access to the node'),
      h('p', {}, 'Open the exact address the node printed: it ends with #token=… and changes every time the node starts.')));
    return;
  }
  const c = m.current ? m.conversations.get(m.current) : null;
  text('chat-title', c ? c.name : (m.current || 'No conversation open'));
  const peer = c ? [...m.peers.values()].find((p) => p.peer === c.name) : null;
  text('chat-sub', c ? (peer ? 'connected · ' + (peer.suite || '').replaceAll('_', ' ') : 'not connected') : '');
  const list = document.getElementById('messages');
  const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
  fill('messages', c && c.messages.length ? c.messages.map((msg) =>
    h('li', {class: 'msg ' + msg.direction, 'data-state': msg.state},
      h('div', {class: 'bubble'},
        h('p', {class: 'text'}, msg.text),
        h('div', {class: 'meta'},
          h('time', {}, clock(msg.at_ms)),
          STATE_LABELS[msg.state] ? h('span', {class: 'state'}, STATE_LABELS[msg.state]) : null))))
    : h('li', {class: 'empty muted'}, c ? 'No messages yet.' : 'Pick a conversation, or type /connect NAME.'));
  if (atBottom) list.scrollTop = list.scrollHeight;
}

function renderHandshake(m) {
  const steps = collapseKeyChanges(m.stepsOf(m.current));
  fill('handshake', steps.length ? steps.map((s) =>
    h('li', {class: 'step', 'data-state': s.state || 'done'},
      h('div', {class: 'step-head'},
        h('span', {class: 'step-name'}, STEP_NAMES[s.step] || s.step),
        typeof s.ms === 'number' ? h('span', {class: 'step-time mono'}, s.ms.toFixed(s.ms < 10 ? 2 : 1) + ' ms')
          : typeof s.at_ms === 'number' ? h('span', {class: 'step-time mono muted'}, clock(s.at_ms, true)) : null),
      s.detail ? h('div', {class: 'step-detail muted'}, s.detail) : null))
    : h('li', {class: 'empty muted'}, 'The steps of the next connection show here.'));
}

// The session's ratchets come every few records: the latest one stands for all, with their count.
function collapseKeyChanges(steps) {
  const ratchets = steps.filter((s) => s.step === 'ratchet');
  if (ratchets.length < 2) return steps;
  const last = ratchets[ratchets.length - 1];
  return steps.filter((s) => s.step !== 'ratchet' || s === last).map((s) => s === last
    ? Object.assign({}, s, {detail: s.detail + ' (' + ratchets.length + ' ratchets so far)'})
    : s);
}

function renderFingerprints(m, actions) {
  const name = m.current;
  const f = name ? m.fingerprints.get(name) : null;
  if (!name) {
    fill('fingerprints', h('p', {class: 'empty muted'}, 'Open a conversation to compare its numbers.'));
    return;
  }
  const show = h('button', {type: 'button', class: 'secondary'}, 'Show numbers');
  show.addEventListener('click', () => actions.command('/fingerprint ' + name));
  const verify = h('button', {type: 'button'}, 'Mark as verified');
  verify.addEventListener('click', () => actions.command('/verify ' + name));
  const rows = [];
  if (f) {
    if (f.conversation_fingerprint) rows.push(fp('conversation', f.conversation_fingerprint));
    if (f.session_fingerprint) rows.push(fp('session', f.session_fingerprint));
    if (f.identity_fingerprint) rows.push(fp('their identity', f.identity_fingerprint));
    if (f.own_fingerprint) rows.push(fp('your identity', f.own_fingerprint));
  }
  const qr = h('img', {class: 'qr', alt: 'QR code of the conversation fingerprint', width: 148, height: 148});
  qr.hidden = true;
  const code = f && (f.conversation_fingerprint || f.session_fingerprint);
  if (code) actions.qr(code, qr);
  fill('fingerprints',
    f && typeof f.verified === 'boolean'
      ? h('p', {class: 'badge', 'data-state': f.verified ? 'verified' : 'unverified'},
        f.verified ? 'verified' : 'not verified yet') : null,
    rows.length ? h('dl', {class: 'facts'}, rows) : h('p', {class: 'muted'}, 'Ask for the numbers, then compare them with ' + name + ' in person or by phone.'),
    qr,
    h('div', {class: 'buttons'}, show, verify));
}

function fp(label, value) {
  return [h('dt', {}, label), h('dd', {class: 'mono fingerprint'}, value)];
}

function renderLedger(m) {
  const l = m.ledger;
  const rows = [];
  if (typeof l.height === 'number') rows.push([h('dt', {}, 'height'), h('dd', {}, l.height)]);
  if (l.tip) rows.push([h('dt', {}, 'tip'), h('dd', {class: 'mono', title: l.tip}, short(l.tip, 16))]);
  if (typeof l.identities === 'number') rows.push([h('dt', {}, 'identities'), h('dd', {}, l.identities)]);
  if (typeof l.mempool === 'number') rows.push([h('dt', {}, 'pending'), h('dd', {}, l.mempool)]);
  if (typeof l.mining === 'boolean') rows.push([h('dt', {}, 'mining'), h('dd', {}, l.mining ? 'yes' : 'no')]);
  fill('ledger', rows.length ? rows : h('dd', {class: 'muted'}, 'No ledger data yet.'));
  fill('blocks', m.blocks.map((b) =>
    h('li', {class: 'block'},
      h('span', {class: 'mono'}, '#' + b.height),
      h('span', {class: 'mono muted', title: b.hash || ''}, short(b.hash, 10)),
      h('span', {class: 'muted small'},
        (typeof b.transactions === 'number' ? b.transactions + ' tx' : '')
        + (b.time_ms ? ' · ' + clock(b.time_ms) : '') + (b.work ? ' · ' + formatWork(b.work) : '')))));
}

function renderActivity(m) {
  if (!m.activity.length) {
    fill('activity', h('li', {class: 'empty muted'}, 'Nothing yet.'));
    return;
  }
  fill('activity', m.activity.slice(0, 60).map((a) =>
    h('li', {class: 'log-' + a.kind},
      h('time', {class: 'muted'}, clock(a.at)),
      ' ',
      h('span', {class: 'muted'}, a.event),
      ' ',
      a.text)));
}
