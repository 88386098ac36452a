/**
 * Raw HTTP and WebSocket bytes for tests that a browser-like client cannot
 * send: literal `/../` paths (fetch normalises them), handshakes with chosen
 * headers, and a WebSocket peer that stops reading.
 *
 * @module
 */

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The response head of a raw request, and the socket for whatever follows. */
export interface RawResponse {
  /** HTTP status code. */
  status: number;
  /** Header names (lower case) and values. */
  headers: Map<string, string>;
  /** The socket, still open after the head (closed by the caller). */
  conn: Deno.Conn;
}

/** Sends `head` (request line and headers, no blank line) and reads the response head. */
export async function rawRequest(
  port: number,
  head: string,
  options: { tls?: { caCerts: string[] } } = {},
): Promise<RawResponse> {
  const conn: Deno.Conn = options.tls
    ? await Deno.connectTls({
      hostname: "127.0.0.1",
      port,
      caCerts: options.tls.caCerts,
    })
    : await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(encoder.encode(`${head}\r\n\r\n`));
  return await readResponseHead(conn);
}

/** Reads one response head from `conn`, byte by byte so nothing after it is consumed. */
export async function readResponseHead(conn: Deno.Conn): Promise<RawResponse> {
  let text = "";
  const buffer = new Uint8Array(1);
  while (!text.endsWith("\r\n\r\n")) {
    const count = await conn.read(buffer);
    if (count === null) throw new Error(`closed after ${JSON.stringify(text)}`);
    text += decoder.decode(buffer.subarray(0, count));
  }
  const [statusLine, ...lines] = text.trimEnd().split("\r\n");
  const headers = new Map<string, string>();
  for (const line of lines) {
    const colon = line.indexOf(":");
    headers.set(
      line.slice(0, colon).trim().toLowerCase(),
      line.slice(colon + 1).trim(),
    );
  }
  return { status: Number(statusLine.split(" ")[1]), headers, conn };
}

/** A WebSocket upgrade request for `/` with extra header lines. */
export function upgradeRequest(port: number, extra: string[] = []): string {
  return [
    "GET / HTTP/1.1",
    `Host: 127.0.0.1:${port}`,
    "Upgrade: websocket",
    "Connection: Upgrade",
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
    "Sec-WebSocket-Version: 13",
    ...extra,
  ].join("\r\n");
}

/** One masked client text frame carrying `text` (clients must mask, RFC 6455 §5.3). */
export function clientTextFrame(text: string): Uint8Array {
  const payload = encoder.encode(text);
  const length = payload.length;
  const lengthBytes = length < 126 ? 0 : length < 65536 ? 2 : 8;
  const frame = new Uint8Array(2 + lengthBytes + 4 + length);
  frame[0] = 0x81;
  frame[1] = 0x80 |
    (lengthBytes === 0 ? length : lengthBytes === 2 ? 126 : 127);
  const view = new DataView(frame.buffer);
  if (lengthBytes === 2) view.setUint16(2, length);
  if (lengthBytes === 8) view.setBigUint64(2, BigInt(length));
  const maskAt = 2 + lengthBytes;
  const mask = crypto.getRandomValues(new Uint8Array(4));
  frame.set(mask, maskAt);
  for (let i = 0; i < length; i++) {
    frame[maskAt + 4 + i] = payload[i] ^ mask[i % 4];
  }
  return frame;
}
