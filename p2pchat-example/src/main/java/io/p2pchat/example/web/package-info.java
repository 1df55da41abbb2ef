/**
 * The local web UI: a Netty HTTP and WebSocket server ({@link io.p2pchat.example.web.WebUiServer})
 * that serves a static page from the jar and relays the node's events to it, and the page's
 * commands back, through the narrow {@link io.p2pchat.example.web.UiBackend}. The security model
 * (token, Host, Origin, CSP, bounds) is in {@code docs/web-ui.md}.
 */
package io.p2pchat.example.web;
