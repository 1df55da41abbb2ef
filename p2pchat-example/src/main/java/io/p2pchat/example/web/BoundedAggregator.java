package io.p2pchat.example.web;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;

/**
 * Aggregates a request of at most {@code maxContentLength} bytes of body; a larger one (by its
 * {@code Content-Length}, or as its chunks arrive) is answered 413 with the usual security headers,
 * and the connection closed.
 */
final class BoundedAggregator extends HttpObjectAggregator {
    BoundedAggregator(int maxContentLength) {
        super(maxContentLength);
    }

    @Override
    protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) {
        Responses.refuse(ctx, HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE);
    }
}
