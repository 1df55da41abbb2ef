package io.p2pchat.example.web;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;

/**
 * Every HTTP answer of the web UI goes through here, so that each carries the same security
 * headers: a strict Content-Security-Policy (no inline script or style, nothing from elsewhere, no
 * framing), {@code nosniff}, no Referer, and {@code no-store} (the node's data is never cached).
 */
final class Responses {
    /** The page's Content-Security-Policy. */
    static final String CSP =
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
                    + " connect-src 'self'; frame-ancestors 'none'; base-uri 'none';"
                    + " form-action 'none'";

    private Responses() {}

    /** The security headers, on any response. */
    static void secure(HttpHeaders h) {
        h.set("Content-Security-Policy", CSP);
        h.set("X-Content-Type-Options", "nosniff");
        h.set("Referrer-Policy", "no-referrer");
        h.set("X-Frame-Options", "DENY");
        h.set("Cross-Origin-Opener-Policy", "same-origin");
        h.set("Cross-Origin-Resource-Policy", "same-origin");
        h.set(HttpHeaderNames.CACHE_CONTROL, "no-store");
    }

    /**
     * Sends {@code body} of {@code contentType}; the connection stays open if {@code keepAlive}.
     */
    static void send(
            ChannelHandlerContext ctx,
            HttpResponseStatus status,
            String contentType,
            byte[] body,
            boolean keepAlive) {
        FullHttpResponse r =
                new DefaultFullHttpResponse(
                        HttpVersion.HTTP_1_1, status, Unpooled.wrappedBuffer(body));
        secure(r.headers());
        if (contentType != null) {
            r.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
        }
        r.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
        if (keepAlive) {
            r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
            ctx.writeAndFlush(r);
        } else {
            r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            ctx.writeAndFlush(r).addListener(ChannelFutureListener.CLOSE);
        }
    }

    /**
     * A refusal: {@code status} with no body and nothing that says which check failed; the
     * connection is closed.
     */
    static void refuse(ChannelHandlerContext ctx, HttpResponseStatus status) {
        send(ctx, status, null, new byte[0], false);
    }
}
