// The loud notice of a key change, also for a change that happened before the page opened (the
// snapshot carries each contact's verified / held state), and the page's refusal to send to a
// contact whose key changed after it was verified, as the console refuses (the node refuses too).

import {h} from './dom.js';

/** Draws the notice above the open conversation if sending to it is held. */
export function renderHeld(model, actions) {
  let el = document.getElementById('held');
  if (!el) {
    el = h('div', {class: 'held', role: 'alert'});
    el.id = 'held';
    const messages = document.getElementById('messages');
    messages.parentNode.insertBefore(el, messages);
  }
  const c = model.current ? model.conversations.get(model.current) : null;
  el.hidden = !(c && c.held);
  if (el.hidden) return;
  const n = c.name;
  const compare = h('button', {type: 'button', class: 'secondary'}, 'Show numbers');
  compare.addEventListener('click', () => actions.command('/fingerprint ' + n));
  const verify = h('button', {type: 'button'}, 'Mark as verified');
  verify.addEventListener('click', () => actions.command('/verify ' + n));
  const accept = h('button', {type: 'button', class: 'secondary'}, 'Accept the new key');
  accept.addEventListener('click', () => actions.command('/accept ' + n));
  el.replaceChildren(
    h('strong', {}, 'KEY CHANGED: ' + n),
    h('p', {}, n + '\'s key changed' + (c.key_changed_at_ms
      ? ' (seen ' + new Date(c.key_changed_at_ms).toLocaleString() + ')' : '')
      + ' after you verified ' + n + '. NOTHING MORE IS SENT to ' + n
      + ' until you compare the numbers with ' + n + ' over another channel and mark ' + n
      + ' as verified again (or accept the new key to send without verifying).'),
    h('div', {class: 'buttons'}, compare, verify, accept));
}

/** Why `line` must not be sent (a message to a held contact), or null. */
export function heldRefusal(model, line) {
  const m = /^\/(?:msg|m)\s+(\S+)/.exec(line);
  const target = m ? m[1] : null;
  for (const c of model.conversations.values()) {
    if (c.held && target && (c.name === target || c.id === target)) {
      return 'Not sent: ' + c.name + '\'s key changed after you verified ' + c.name
        + '. Compare the numbers, then mark as verified (or accept the new key).';
    }
  }
  return null;
}
