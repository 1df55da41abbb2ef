// The page's link to its node: the token, the WebSocket (events in, commands out) and
// authenticated fetches.

const TOKEN_KEY = 'p2pchat.token';

/**
 * The token: from the URL fragment the node printed (#token=...), then kept in this tab's
 * sessionStorage so that a reload works; the fragment is removed from the address bar at once.
 */
export function takeToken() {
  const m = /^#token=([A-Za-z0-9_-]{43})$/.exec(location.hash);
  if (m) {
    sessionStorage.setItem(TOKEN_KEY, m[1]);
    history.replaceState(null, '', location.pathname);
  }
  return sessionStorage.getItem(TOKEN_KEY);
}

/** Reconnection attempts in a row before the page says the node stopped (0.5 s, doubling). */
const MAX_ATTEMPTS = 5;

/**
 * A WebSocket to /ws that reconnects and asks for a snapshot each time it opens. The token
 * travels as a subprotocol: a browser sends no other header a page can set on a WebSocket.
 *
 * After the link drops, each attempt first asks /api/snapshot with the token: a 401 means the
 * node started again with a new token (state 'restarted': only the URL it printed opens it now);
 * no answer at all, MAX_ATTEMPTS times in a row, means it is gone (state 'stopped'). Either
 * stops the retries. A token refused from the start is state 'refused'.
 */
export class Link {
  constructor(token, onMessage, onState) {
    this.token = token;
    this.onMessage = onMessage;
    this.onState = onState;
    this.nextId = 1;
    this.delay = 500;
    this.attempts = 0;
    this.everOpened = false;
    this.ws = null;
  }

  open() {
    const url = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/ws';
    const ws = new WebSocket(url, ['p2pchat.v1', 'p2pchat.token.' + this.token]);
    this.ws = ws;
    this.onState('connecting');
    ws.onopen = () => {
      this.delay = 500;
      this.attempts = 0;
      this.everOpened = true;
      this.onState('live');
    };
    ws.onmessage = (e) => {
      let msg;
      try {
        msg = JSON.parse(e.data);
      } catch (err) {
        return;
      }
      this.onMessage(msg);
    };
    ws.onclose = () => {
      this.ws = null;
      if (!this.everOpened) {
        this.onState('refused'); // the token will not become right: no retry
        return;
      }
      this.onState('reconnecting');
      this.retry();
    };
  }

  /** After the link dropped: asks whether the node is there, then retries or gives up. */
  async retry() {
    const status = await this.probe();
    if (status === 401) {
      this.onState('restarted');
      return;
    }
    if (++this.attempts >= MAX_ATTEMPTS) {
      this.onState(status === 0 ? 'stopped' : 'unreachable');
      return;
    }
    setTimeout(() => this.open(), this.delay);
    this.delay = Math.min(this.delay * 2, 8000);
  }

  /** The HTTP status of an authenticated request now; 0 if nothing answers. */
  async probe() {
    try {
      const r = await fetch('/api/snapshot', {
        headers: {Authorization: 'Bearer ' + this.token},
        cache: 'no-store',
      });
      return r.status;
    } catch (err) {
      return 0;
    }
  }

  /** Sends one message of the page's protocol (an answer, a read mark); false if not connected. */
  send(message) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(message));
    return true;
  }

  /** Sends a command line; returns its id (replies carry it), or 0 if not connected. */
  command(line) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return 0;
    const id = this.nextId++;
    this.ws.send(JSON.stringify({type: 'command', id, line}));
    return id;
  }

  /** Asks for the whole state again. */
  resync() {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) {
      this.ws.send(JSON.stringify({type: 'snapshot'}));
    }
  }
}

/**
 * The QR code of `text` as a data: URL. Fetched with the token in a header (an <img src> could
 * not carry it), then shown through a data: URL, which the page's CSP allows for images.
 */
export async function qrDataUrl(token, text) {
  const r = await fetch('/api/qr?text=' + encodeURIComponent(text), {
    headers: {Authorization: 'Bearer ' + token},
    cache: 'no-store',
  });
  if (!r.ok) throw new Error('QR code: HTTP ' + r.status);
  const svg = await r.text();
  return 'data:image/svg+xml;base64,' + btoa(svg);
}
