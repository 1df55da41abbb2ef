// The console's identity actions as buttons: /identity rotate [--key-bits N], /identity revoke,
// /identity address HOST:PORT ..., /identity name NAME. Each sends the console's command line; the
// node asks its questions (the passphrase, the name typed to confirm a revocation) through
// prompt.js, and its progress shows in the top bar, as the console shows it.

import {h} from './dom.js';

// What an action changed for good: published to every view (NodeUiBackend.FOR_EVERYONE).
const OUTCOMES = new Set(['rotated', 'revoked', 'addresses_updated']);

export class IdentityActions {
  /** `command(line)` sends a command line and returns its id (0: not sent). */
  constructor(command) {
    this.command = command;
    this.running = new Map(); // command id -> line
    this.status = {text: '', kind: ''};
    this.built = false;
  }

  build() {
    const rotate = button('Rotate key', () => {
      const bits = this.bits.value;
      this.run('/identity rotate' + (bits ? ' --key-bits ' + bits : ''));
    });
    this.bits = h('select', {'aria-label': 'Key size of the new key'},
      option('', 'same size'), option('2048', 'RSA 2048'), option('3072', 'RSA 3072'),
      option('4096', 'RSA 4096'));
    this.addresses = input('HOST:PORT …', 'Addresses to register');
    const address = button('Set', () => {
      const words = this.addresses.value.trim();
      if (!words) return this.say('Type one or more HOST:PORT, separated by spaces.', 'error');
      this.run('/identity address ' + words);
    });
    this.name = input('NAME', 'Name to claim');
    const name = button('Claim', () => {
      const n = this.name.value.trim();
      if (!n) return this.say('Type the name to claim.', 'error');
      this.run('/identity name ' + n);
    });
    const revoke = button('Revoke…', () => this.run('/identity revoke'));
    revoke.className = 'danger';
    this.facts = h('p', {class: 'muted small'});
    this.statusEl = h('p', {class: 'action-status small', role: 'status'});
    this.buttons = [rotate, address, name, revoke];
    const panel = h('section', {class: 'panel actions'},
      h('h2', {}, 'Identity'),
      this.facts,
      h('div', {class: 'action-row'}, rotate, this.bits),
      h('label', {class: 'action-label muted small'}, 'Registered addresses'),
      h('div', {class: 'action-row'}, this.addresses, address),
      h('label', {class: 'action-label muted small'}, 'Name on the ledger'),
      h('div', {class: 'action-row'}, this.name, name),
      h('div', {class: 'action-row'}, revoke),
      this.statusEl);
    panel.id = 'identity-actions';
    document.querySelector('.column.left').appendChild(panel);
    this.built = true;
  }

  run(line) {
    if (this.running.size) return this.say('Wait for the running identity action to finish.', 'error');
    const id = this.command(line);
    if (!id) return this.say('Not connected to the node; nothing was sent.', 'error');
    this.running.set(id, line);
    this.say(line + ' …', 'running');
  }

  say(text, kind) {
    this.status = {text, kind: kind || ''};
    this.render();
  }

  /** A reply to a command: shown here if it is one of ours. */
  reply(msg) {
    if (!this.running.has(msg.id)) return;
    const e = msg.e;
    if (e.event === 'progress') return; // the top bar shows it
    const text = e.message || e.display || '';
    if (text) this.say(text, e.event === 'error' ? 'error' : 'info');
  }

  /** An event for every view: an action's outcome comes this way (the console shows it too). */
  event(e) {
    if (OUTCOMES.has(e.event)) this.say(e.display || e.message || e.event, 'info');
  }

  done(msg) {
    if (!this.running.delete(msg.id)) return;
    if (this.status.kind === 'running') this.say(msg.ok ? 'done' : 'failed', msg.ok ? 'info' : 'error');
    else this.render();
  }

  render(model) {
    if (!this.built) this.build();
    if (model) {
      const id = model.identity || {};
      // A node that did not enable /identity (the demo's people) gets no buttons that only refuse.
      document.getElementById('identity-actions').style.display = id.actions === false ? 'none' : '';
      this.facts.textContent = [id.key_bits ? 'RSA ' + id.key_bits : '', id.state || '']
        .filter(Boolean).join(' · ');
    }
    for (const b of this.buttons) b.disabled = this.running.size > 0;
    this.statusEl.textContent = this.status.text;
    this.statusEl.dataset.state = this.status.kind;
  }
}

function button(label, onClick) {
  const b = h('button', {type: 'button', class: 'secondary'}, label);
  b.addEventListener('click', onClick);
  return b;
}

function option(value, label) {
  const o = h('option', {}, label);
  o.value = value;
  return o;
}

function input(placeholder, label) {
  const i = h('input', {type: 'text', 'aria-label': label});
  i.placeholder = placeholder;
  i.spellcheck = false;
  i.autocomplete = 'off';
  i.maxLength = 1000;
  return i;
}
