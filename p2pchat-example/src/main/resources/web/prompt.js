// The questions a command asks in its middle, as the console asks them (a passphrase, a name typed
// to confirm, yes or no): one modal at a time. A passphrase goes into a password field: never
// shown, never kept by the page, cleared as soon as it is sent or the question goes away.

import {h} from './dom.js';

const TITLES = {
  'passphrase': 'Passphrase',
  'confirm-text': 'Confirm',
  'yes-no': 'Confirm',
};
const MAX_ANSWER = 1024; // as the server: a longer answer cancels the command
const MAX_NOTES = 16;

export class Prompts {
  /** `send(message)` sends one protocol message to the node. */
  constructor(send) {
    this.send = send;
    this.current = null; // {id, prompt, el, input, timer}
    this.notes = new Map(); // command id -> the last line it printed (shown with its question)
  }

  /** A line command `id` printed (it may explain the question that follows). */
  note(id, text) {
    if (!text) return;
    this.notes.delete(id);
    this.notes.set(id, text);
    if (this.notes.size > MAX_NOTES) this.notes.delete(this.notes.keys().next().value);
  }

  /** {"t":"prompt",...}: shows the question. */
  show(msg) {
    this.close();
    const secret = msg.kind === 'passphrase';
    const deadline = Date.now() + (Number(msg.timeout_ms) || 120000);
    const left = h('p', {class: 'muted small prompt-timer'});
    let input = null;
    const buttons = [];
    if (msg.kind === 'yes-no') {
      const yes = h('button', {type: 'button'}, 'Yes');
      const no = h('button', {type: 'button', class: 'secondary'}, 'No');
      yes.addEventListener('click', () => this.answer('y'));
      no.addEventListener('click', () => this.answer('n'));
      buttons.push(yes, no);
    } else {
      input = h('input', {type: secret ? 'password' : 'text', 'aria-label': msg.text});
      input.autocomplete = secret ? 'new-password' : 'off';
      input.spellcheck = false;
      input.maxLength = MAX_ANSWER;
      input.className = 'prompt-input';
      input.addEventListener('keydown', (e) => {
        if (e.key === 'Enter') {
          e.preventDefault();
          this.answer(input.value);
        } else if (e.key === 'Escape') {
          this.answer(null);
        }
      });
      const ok = h('button', {type: 'button'}, 'OK');
      ok.addEventListener('click', () => this.answer(input.value));
      buttons.push(ok);
    }
    const cancel = h('button', {type: 'button', class: 'secondary'}, 'Cancel');
    cancel.addEventListener('click', () => this.answer(null));
    if (msg.kind !== 'yes-no') buttons.push(cancel);
    const note = this.notes.get(msg.id);
    const box = h('div', {class: 'modal', role: 'dialog', 'aria-label': TITLES[msg.kind] || 'Question'},
      h('h3', {}, TITLES[msg.kind] || 'Question'),
      note && note !== msg.text ? h('p', {class: 'prompt-note'}, note) : null,
      h('p', {class: 'prompt-text'}, msg.text),
      input,
      left,
      h('div', {class: 'buttons'}, buttons));
    const el = h('div', {class: 'modal-backdrop'}, box);
    el.id = 'prompt';
    el.dataset.kind = msg.kind;
    document.body.appendChild(el);
    const tick = () => {
      const s = Math.max(0, Math.ceil((deadline - Date.now()) / 1000));
      left.textContent = s + ' s to answer';
      if (s === 0) this.close(); // the node withdraws it too, and says so
    };
    tick();
    this.current = {id: msg.id, prompt: msg.prompt, el, input, timer: setInterval(tick, 1000)};
    if (input) input.focus();
    else buttons[0].focus();
  }

  /** Sends the answer (null: cancelled) and closes the question. */
  answer(value) {
    const c = this.current;
    if (!c) return;
    const text = value === null ? null : String(value).slice(0, MAX_ANSWER);
    this.send({type: 'answer', prompt: c.prompt, text});
    this.close();
  }

  /** {"t":"prompt_end",...}: the node withdrew the question. */
  end(msg) {
    if (this.current && this.current.prompt === msg.prompt) this.close();
  }

  /** Command `id` finished: its question, if any, is over. */
  done(id) {
    this.notes.delete(id);
    if (this.current && this.current.id === id) this.close();
  }

  /** Removes the modal; a typed passphrase is cleared from the field first. */
  close() {
    const c = this.current;
    if (!c) return;
    this.current = null;
    clearInterval(c.timer);
    if (c.input) c.input.value = '';
    c.el.remove();
    const command = document.getElementById('command');
    if (command) command.focus();
  }
}
