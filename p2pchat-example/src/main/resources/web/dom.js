// Building the page's elements. Text is always inserted as text (createTextNode / textContent),
// never parsed as HTML: nothing here assigns innerHTML, outerHTML or insertAdjacentHTML.

const SAFE_ATTRIBUTES = new Set(['class', 'title', 'type', 'role', 'aria-label', 'datetime',
  'alt', 'width', 'height', 'data-state', 'data-id', 'disabled']);

/**
 * An element: h('li', {class: 'msg'}, 'text', otherElement). Strings and numbers become text
 * nodes; null and false children are left out. Only the attributes above may be set, so a value
 * from a peer can never become an event handler or a link.
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (!SAFE_ATTRIBUTES.has(name)) throw new Error('attribute not allowed: ' + name);
    el.setAttribute(name, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.appendChild(c);
    else el.appendChild(document.createTextNode(String(c)));
  }
}

/** Replaces the children of the element with id `id`. */
export function fill(id, ...children) {
  const el = document.getElementById(id);
  el.replaceChildren();
  append(el, children);
  return el;
}

/** Sets the text of the element with id `id`. */
export function text(id, value) {
  document.getElementById(id).textContent = value === null || value === undefined ? '' : String(value);
}

/** The first `n` characters of a hex id, for display. */
export function short(hex, n = 12) {
  return typeof hex === 'string' && hex.length > n ? hex.slice(0, n) + '…' : (hex || '');
}

/** "14:03" (or "14:03:07" with `seconds`) for a time in milliseconds. */
export function clock(ms, seconds) {
  if (typeof ms !== 'number') return '';
  const d = new Date(ms);
  return d.toLocaleTimeString([], seconds
    ? {hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23'}
    : {hour: '2-digit', minute: '2-digit', hourCycle: 'h23'});
}
