package io.p2pchat.example.web;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks every request and answers it, on the server's event loop, in this order:
 *
 * <ol>
 *   <li>a request the codec could not read (headers too long): 431 or 400;
 *   <li>a {@code Host} other than the address served: 403 (a DNS-rebinding page sends its own host
 *       name);
 *   <li>an {@code Origin} other than the page's own, on any request, and a WebSocket upgrade with
 *       none: 403 (another site's page);
 *   <li>a method other than GET: 405;
 *   <li>the page's files: served without the token (see {@link StaticAssets});
 *   <li>no valid token: 401, empty, whatever the path (so nothing can be probed without it). The
 *       token comes in {@code Authorization: Bearer TOKEN} for fetches, and for the WebSocket in
 *       the {@code Sec-WebSocket-Protocol} list as {@code p2pchat.token.TOKEN} beside {@code
 *       p2pchat.v1}, which the server selects (a browser cannot set other headers on a WebSocket);
 *   <li>{@code /ws}: a page, unless {@code maxPages} are open (503); {@code /api/snapshot}: the
 *       backend's snapshot as JSON; {@code /api/qr?text=...}: a QR code as SVG; anything else: 404.
 * </ol>
 *
 * Refusals carry no body and close the connection. Not thread-safe: one per connection.
 */
final class HttpGate extends SimpleChannelInboundHandler<FullHttpRequest> {
    private static final Logger LOG = LoggerFactory.getLogger(HttpGate.class);

    /** The subprotocol the page asks for and the server selects. */
    static final String SUBPROTOCOL = "p2pchat.v1";

    /** The prefix of the subprotocol entry that carries the token. */
    static final String TOKEN_SUBPROTOCOL_PREFIX = "p2pchat.token.";

    private static final String BEARER = "Bearer ";

    private final WebUiServer server;

    HttpGate(WebUiServer server) {
        this.server = server;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
        if (req.decoderResult().isFailure()) {
            Responses.refuse(
                    ctx,
                    req.decoderResult().cause() instanceof TooLongFrameException
                            ? HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE
                            : HttpResponseStatus.BAD_REQUEST);
            return;
        }
        String origin = "http://" + server.authority();
        if (!server.authority().equals(req.headers().get(HttpHeaderNames.HOST))) {
            Responses.refuse(ctx, HttpResponseStatus.FORBIDDEN);
            return;
        }
        String requestOrigin = req.headers().get(HttpHeaderNames.ORIGIN);
        if (requestOrigin != null && !requestOrigin.equals(origin)) {
            Responses.refuse(ctx, HttpResponseStatus.FORBIDDEN);
            return;
        }
        if (!req.method().equals(HttpMethod.GET)) {
            Responses.send(ctx, HttpResponseStatus.METHOD_NOT_ALLOWED, null, new byte[0], false);
            return;
        }
        QueryStringDecoder uri = new QueryStringDecoder(req.uri());
        String path = uri.path();
        boolean keepAlive = HttpUtil.isKeepAlive(req);
        Optional<StaticAssets.Asset> asset = server.assets().get(path);
        if (asset.isPresent()) {
            Responses.send(
                    ctx,
                    HttpResponseStatus.OK,
                    asset.get().contentType(),
                    asset.get().bytes(),
                    keepAlive);
            return;
        }
        if (path.equals("/ws")) {
            upgrade(ctx, req, requestOrigin);
            return;
        }
        if (!server.token().matches(bearer(req))) {
            Responses.refuse(ctx, HttpResponseStatus.UNAUTHORIZED);
            return;
        }
        switch (path) {
            case "/api/snapshot" -> json(ctx, server.backend().snapshot().json(), keepAlive);
            case "/api/qr" -> qr(ctx, uri, keepAlive);
            default -> Responses.send(ctx, HttpResponseStatus.NOT_FOUND, null, new byte[0], false);
        }
    }

    private void upgrade(ChannelHandlerContext ctx, FullHttpRequest req, String requestOrigin) {
        if (requestOrigin == null) {
            Responses.refuse(ctx, HttpResponseStatus.FORBIDDEN); // only a page opens it
            return;
        }
        List<String> protocols =
                req.headers().getAll(HttpHeaderNames.SEC_WEBSOCKET_PROTOCOL).stream()
                        .flatMap(v -> List.of(v.split(",")).stream())
                        .map(String::trim)
                        .toList();
        String presented =
                protocols.stream()
                        .filter(p -> p.startsWith(TOKEN_SUBPROTOCOL_PREFIX))
                        .map(p -> p.substring(TOKEN_SUBPROTOCOL_PREFIX.length()))
                        .findFirst()
                        .orElse(null);
        if (!server.token().matches(presented)) {
            Responses.refuse(ctx, HttpResponseStatus.UNAUTHORIZED);
            return;
        }
        if (!protocols.contains(SUBPROTOCOL)
                || !req.headers()
                        .containsValue(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET, true)) {
            Responses.refuse(ctx, HttpResponseStatus.BAD_REQUEST);
            return;
        }
        WebUiServer.Limits limits = server.limits();
        if (server.pageCount().incrementAndGet() > limits.maxPages()) {
            server.pageCount().decrementAndGet();
            Responses.refuse(ctx, HttpResponseStatus.SERVICE_UNAVAILABLE);
            return;
        }
        ctx.channel().closeFuture().addListener(f -> server.pageCount().decrementAndGet());
        long idle = limits.idleTimeout().toMillis();
        WebSocketServerProtocolConfig config =
                WebSocketServerProtocolConfig.newBuilder()
                        .websocketPath("/ws")
                        .subprotocols(SUBPROTOCOL)
                        .maxFramePayloadLength(limits.maxFrameBytes())
                        .allowExtensions(false)
                        .handshakeTimeoutMillis(10_000)
                        .build();
        ctx.pipeline()
                .replace(
                        "idle",
                        "idle",
                        new IdleStateHandler(idle, idle / 3, 0, TimeUnit.MILLISECONDS));
        ctx.pipeline()
                .addAfter(ctx.name(), "ws", new WebSocketServerProtocolHandler(config))
                .addAfter("ws", "frames", new WebSocketFrameAggregator(limits.maxFrameBytes()))
                .addAfter("frames", "page", new PageHandler(server));
        ctx.fireChannelRead(req.retain());
        ctx.pipeline().remove(this);
    }

    private static String bearer(FullHttpRequest req) {
        String h = req.headers().get(HttpHeaderNames.AUTHORIZATION);
        return h != null && h.startsWith(BEARER) ? h.substring(BEARER.length()) : null;
    }

    private static void json(ChannelHandlerContext ctx, String json, boolean keepAlive) {
        Responses.send(
                ctx,
                HttpResponseStatus.OK,
                "application/json; charset=utf-8",
                json.getBytes(StandardCharsets.UTF_8),
                keepAlive);
    }

    private static void qr(ChannelHandlerContext ctx, QueryStringDecoder uri, boolean keepAlive) {
        List<String> text = uri.parameters().get("text");
        if (text == null
                || text.size() != 1
                || text.get(0).isEmpty()
                || text.get(0).length() > QrSvg.MAX_TEXT_LENGTH) {
            Responses.send(ctx, HttpResponseStatus.BAD_REQUEST, null, new byte[0], false);
            return;
        }
        Responses.send(
                ctx,
                HttpResponseStatus.OK,
                "image/svg+xml",
                QrSvg.render(text.get(0)).getBytes(StandardCharsets.UTF_8),
                keepAlive);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof IdleStateEvent) {
            ctx.close();
            return;
        }
        super.userEventTriggered(ctx, evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LOG.debug("web UI connection closed: {}", cause.toString());
        ctx.close();
    }
}
