// What the page knows, built from the node's events (the console's --json events). apply() is
// idempotent for the events that may arrive twice around a snapshot: a message is kept once per
// message_id, and states only move forward.

const MAX_MESSAGES = 1000; // per conversation, in the page
const MAX_ACTIVITY = 200;
const STATE_ORDER = {queued: 0, sent: 1, delivered: 2, received: 2};

export class Model {
  constructor() {
    this.reset();
    this.current = null; // key of the open conversation
  }

  reset() {
    this.identity = {};
    this.network = {};
    this.ledger = {};
    this.blocks = [];
    this.progress = null;
    this.peers = new Map(); // key_id -> peer
    this.conversations = new Map(); // key -> {key, name, id, unread, messages: [], seen: Set}
    this.handshakes = new Map(); // peer name -> [{step, detail, ms, at_ms}]
    this.fingerprints = new Map(); // peer name -> fingerprint event
    this.activity = [];
    this.banner = null;
  }

  /** Applies one event; returns nothing. Unknown kinds go to the activity log. */
  apply(e, fromReply) {
    switch (e.event) {
      case 'snapshot': return this.snapshot(e);
      case 'message': return this.received(e);
      case 'sent': return this.sent(e);
      case 'delivered': return this.delivered(e);
      case 'connected': return this.connected(e);
      case 'disconnected':
        this.peers.delete(e.key_id);
        return this.log(e, 'disconnected from ' + e.peer);
      case 'confirmed':
      case 'named':
        for (const p of this.peers.values()) {
          if (p.identity_id === e.identity_id || p.peer === e.peer) {
            p.peer = e.peer;
            if (e.event === 'confirmed') p.access = 'FULL';
          }
        }
        return this.log(e, e.event === 'confirmed'
          ? e.peer + ' is confirmed on your ledger' : e.peer + ' is named on the ledger');
      case 'peers':
        this.peers = new Map((e.peers || []).map((p) => [p.key_id, p]));
        return;
      case 'handshake': return this.handshake(e);
      case 'fingerprint':
        this.fingerprints.set(e.peer, e);
        return;
      case 'ledger':
        Object.assign(this.ledger, e);
        if (Array.isArray(e.blocks)) this.blocks = e.blocks.slice(0, 20);
        return;
      case 'block':
        this.blocks = [e, ...this.blocks.filter((b) => b.hash !== e.hash)].slice(0, 20);
        if (typeof e.height === 'number' && !(this.ledger.height > e.height)) {
          this.ledger.height = e.height;
          this.ledger.tip = e.hash;
        }
        return;
      case 'progress':
        this.progress = e.done ? null : {fraction: e.fraction, label: e.label || e.message || ''};
        return;
      case 'ready':
        this.progress = null;
        if (this.identity) this.identity.name = this.identity.name || e.name;
        return this.log(e, e.message || e.display || 'ready');
      case 'rotation_mined':
      case 'revocation_mined':
      case 'addresses_updated':
      case 'name_revealed':
        this.progress = null;
        return this.log(e, e.message || e.display || '');
      case 'key_changed':
        this.contactChanged(e.identity_id, e.peer, {held: !!e.held, verified: false,
          key_changed_at_ms: e.changed_at_ms});
        // falls through: the loud banner, as the console prints it
      case 'name_changed':
        this.banner = e.display || e.message || (e.event + ': ' + (e.peer || e.name || ''));
        return this.log(e, this.banner);
      case 'verified':
      case 'accepted':
        this.contactChanged(e.identity_id, null, {held: false, verified: e.event === 'verified'});
        return this.log(e, e.display || e.event, fromReply ? 'reply' : 'info');
      case 'read':
        for (const c of this.conversations.values()) if (c.id === e.identity_id) c.unread = 0;
        return;
      case 'error':
        return this.log(e, e.message, 'error');
      default:
        return this.log(e, e.message || e.display || '', fromReply ? 'reply' : 'info');
    }
  }

  snapshot(s) {
    const current = this.current;
    const activity = this.activity;
    this.reset();
    this.activity = activity;
    this.identity = s.identity || {};
    this.network = s.network || {};
    this.ledger = s.ledger || {};
    this.blocks = Array.isArray(this.ledger.blocks) ? this.ledger.blocks.slice(0, 20) : [];
    for (const p of s.peers || []) this.peers.set(p.key_id, p);
    for (const c of s.conversations || []) {
      const conv = this.conversation(c.peer, c.identity_id);
      conv.unread = c.unread || 0;
      conv.held = !!c.held;
      conv.verified = !!c.verified;
      conv.key_changed_at_ms = c.key_changed_at_ms || null;
      for (const m of c.messages || []) this.add(conv, m);
    }
    for (const h of s.handshakes || []) this.handshake(h);
    if (s.progress) this.progress = s.progress;
    if (current && this.conversations.has(current)) this.current = current;
    else this.current = this.conversations.size ? this.conversations.keys().next().value : current;
    const open = this.conversations.get(this.current);
    if (open && !document.hidden) open.unread = 0;
  }

  conversation(name, id) {
    const key = name;
    let c = this.conversations.get(key);
    if (!c) {
      c = {key, name, id, unread: 0, messages: [], seen: new Map()};
      this.conversations.set(key, c);
    }
    if (id) c.id = id;
    return c;
  }

  add(conv, m) {
    const known = m.message_id ? conv.seen.get(m.message_id) : null;
    if (known) {
      if ((STATE_ORDER[m.state] ?? 0) > (STATE_ORDER[known.state] ?? 0)) known.state = m.state;
      return false;
    }
    conv.messages.push(m);
    if (m.message_id) conv.seen.set(m.message_id, m);
    if (conv.messages.length > MAX_MESSAGES) {
      const old = conv.messages.shift();
      if (old.message_id) conv.seen.delete(old.message_id);
    }
    return true;
  }

  received(e) {
    const conv = this.conversation(e.from, e.from_id);
    const added = this.add(conv, {direction: 'in', text: e.text, message_id: e.message_id,
      at_ms: e.sent_at_ms, state: 'received'});
    if (added && (this.current !== conv.key || document.hidden)) conv.unread++;
    if (this.current === null) this.current = conv.key;
  }

  sent(e) {
    const conv = this.conversation(e.to, e.to_id);
    this.add(conv, {direction: 'out', text: e.text, message_id: e.message_id,
      at_ms: e.sent_at_ms || Date.now(), state: e.queued ? 'queued' : 'sent'});
  }

  delivered(e) {
    const conv = this.conversation(e.to, e.to_id);
    const m = conv.seen.get(e.message_id);
    if (m) m.state = 'delivered';
  }

  connected(e) {
    this.peers.set(e.key_id, e);
    if (e.session_fingerprint) {
      const f = this.fingerprints.get(e.peer) || {peer: e.peer};
      f.session_fingerprint = e.session_fingerprint;
      this.fingerprints.set(e.peer, f);
    }
    this.log(e, e.peer + ' connected (' + (e.direction || '') + ', ' + (e.suite || '') + ')');
  }

  handshake(e) {
    // By the channel's key: a peer's name may be learnt (or confirmed) after the handshake.
    const key = e.key_id || e.peer;
    const list = this.handshakes.get(key) || [];
    if (e.step === 'tcp') list.length = 0; // a new connection starts a new list
    list.push(e);
    if (list.length > 50) list.shift();
    this.handshakes.delete(key);
    this.handshakes.set(key, list); // the latest channel last
  }

  /** The steps of the channel with the peer named `name` (else of the latest channel). */
  stepsOf(name) {
    for (const p of this.peers.values()) {
      if (p.peer === name && this.handshakes.has(p.key_id)) return this.handshakes.get(p.key_id);
    }
    for (const list of this.handshakes.values()) {
      if (list.length && list[list.length - 1].peer === name) return list;
    }
    return [...this.handshakes.values()].at(-1) || [];
  }

  log(e, text, kind) {
    this.activity.unshift({kind: kind || (e.event === 'error' ? 'error' : 'info'),
      event: e.event, text: text || '', at: Date.now()});
    if (this.activity.length > MAX_ACTIVITY) this.activity.pop();
  }

  /** A contact's verified / held state changed (by its identity id, else its name). */
  contactChanged(id, name, state) {
    for (const c of this.conversations.values()) {
      if ((id && c.id === id) || (!id && name && c.name === name)) Object.assign(c, state);
    }
    if (state.held === false && this.banner && /NOTHING MORE IS SENT/.test(this.banner)) this.banner = null;
  }

  /** Opens a conversation (and clears its unread count). */
  open(key) {
    this.current = key;
    const c = this.conversations.get(key);
    if (c) c.unread = 0;
  }
}
