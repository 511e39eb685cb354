/**
 * Refusing a request body over the upload limit (design.md §6: 64 MiB, `413 payload_too_large`) so that the
 * client reads the 413. Closing the connection at once while the client is still sending leaves unread bytes
 * in the daemon's receive buffer; the kernel then answers with RST, which discards the 413 from the
 * client's receive buffer before it is read. So, as RFC 9112 §9.6 (tear-down) asks and nginx's lingering
 * close does: send the answer with `Connection: close`, half-close (FIN), and keep reading and discarding
 * what the client still sends until it closes its side — at most LINGER_BYTES or LINGER_MS — before closing.
 */
import type { IncomingMessage } from 'node:http';

/** What the daemon reads and discards after a 413 before it closes anyway. */
export const LINGER_BYTES = 64 * 1024 * 1024;
export const LINGER_MS = 10_000;

/**
 * Answer `req` with 413 and `body` (JSON) directly on its socket and close the connection gracefully. The
 * caller has taken the request from the framework (fastify `reply.hijack()`); nothing else writes to it.
 */
export function refuseOversize(req: IncomingMessage, body: Readonly<Record<string, unknown>>): void {
  const socket = req.socket;
  const json = JSON.stringify(body);
  socket.write([
    'HTTP/1.1 413 Payload Too Large',
    'content-type: application/json; charset=utf-8',
    `content-length: ${Buffer.byteLength(json)}`,
    'connection: close',
    '', json,
  ].join('\r\n'));
  // FIN once the answer is out; node's http server sockets allow half-open, so the read side stays open.
  socket.end();
  let drained = 0;
  const close = (): void => {
    clearTimeout(timer);
    socket.destroy();
  };
  const timer = setTimeout(close, LINGER_MS);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
  // The client closing its side ends the request stream (or the socket, for bytes past the body).
  socket.once('end', close);
  req.on('data', (chunk: Buffer) => {
    drained += chunk.length;
    if (drained > LINGER_BYTES) close();
  });
  req.resume();
}
