// The page: takes the token, opens the link to the node, and redraws on every event.

import {Model} from './model.js';
import {render} from './view.js';
import {Link, takeToken, qrDataUrl} from './net.js';
import {fill, h} from './dom.js';
import {showIdentity, startLedgerPanel} from './ledger.js';

const model = new Model();
const pending = new Map(); // command id -> line
const qrCache = new Map(); // fingerprint -> data: URL
let token = null;
let link = null;
let scheduled = false;

const actions = {
  open(key) {
    model.open(key);
    redraw();
  },
  command(line) {
    send(line);
  },
  qr(textValue, img) {
    const show = (url) => {
      img.src = url;
      img.hidden = false;
    };
    if (qrCache.has(textValue)) return show(qrCache.get(textValue));
    qrDataUrl(token, textValue).then((url) => {
      if (qrCache.size > 50) qrCache.clear();
      qrCache.set(textValue, url);
      show(url);
    }).catch(() => {});
  },
};

function redraw() {
  if (scheduled) return;
  scheduled = true;
  requestAnimationFrame(() => {
    scheduled = false;
    render(model, actions);
  });
}

function onMessage(msg) {
  switch (msg.t) {
    case 'snapshot':
      model.apply(msg.e);
      break;
    case 'event':
      model.apply(msg.e);
      break;
    case 'reply':
      model.apply(msg.e, true);
      if (msg.e.event === 'error') showReply(msg.e.message, 'error');
      if (msg.e.event === 'whois') showIdentity(msg.e);
      break;
    case 'done':
      pending.delete(msg.id);
      break;
    case 'missed':
      model.log({event: 'missed'}, msg.n + ' events missed while the page was busy; reloaded the state');
      break;
    default:
      return;
  }
  redraw();
}

function onState(state) {
  const el = document.getElementById('link');
  el.dataset.state = state;
  el.textContent = {
    connecting: 'connecting…',
    live: 'live',
    reconnecting: 'reconnecting…',
    refused: 'not connected',
  }[state] || state;
  if (state === 'refused') model.refused = true; // until the link is live again
  if (state === 'live') model.refused = false;
  if (state === 'refused') {
    showReply('The node refused this page: open the exact URL the node printed (it ends with #token=…).', 'error');
  } else if (state === 'live') {
    showReply('');
  }
  redraw();
}

function showReply(message, kind) {
  const el = document.getElementById('reply');
  el.dataset.state = kind || '';
  el.textContent = message || '';
}

function send(line) {
  const id = link.command(line);
  if (!id) {
    showReply('Not connected to the node; the line was not sent.', 'error');
    return false;
  }
  pending.set(id, line);
  showReply('');
  return true;
}

function onSubmit(e) {
  e.preventDefault();
  const input = document.getElementById('command');
  const value = input.value.trim();
  if (!value) return;
  let line = value;
  if (!value.startsWith('/')) {
    if (!model.current) {
      showReply('Open a conversation first, or use /msg NAME TEXT.', 'error');
      return;
    }
    line = '/msg ' + model.current + ' ' + value;
  }
  if (send(line)) {
    input.value = '';
    // A conversation named in the command opens (a name or an id, not HOST:PORT).
    const m = /^\/(?:msg|m|connect|c)\s+(\S+)/.exec(line);
    if (m && !/:[0-9]+$/.test(m[1]) && m[1] !== model.current) {
      model.open(m[1]);
      redraw();
    }
  }
}

function start() {
  token = takeToken();
  // The URL pasted into a tab that already shows the page changes only the fragment: take the
  // new token and start again.
  window.addEventListener('hashchange', () => {
    if (/^#token=/.test(location.hash) && takeToken() !== token) location.reload();
  });
  document.getElementById('command-form').addEventListener('submit', onSubmit);
  document.addEventListener('visibilitychange', () => {
    if (!document.hidden && model.current) {
      model.open(model.current);
      redraw();
    }
  });
  if (!token) {
    fill('messages', h('li', {class: 'card'},
      h('h3', {}, 'Open the address the node printed'),
      h('p', {}, 'This page needs the address the node printed, the one that ends with #token=…')));
    document.getElementById('link').textContent = 'no token';
    return;
  }
  link = new Link(token, onMessage, onState);
  link.open();
  startLedgerPanel(send);
  render(model, actions);
}

start();
