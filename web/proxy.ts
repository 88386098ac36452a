/**
 * The real address of a web user behind a reverse proxy (nginx, Caddy):
 * `X-Forwarded-For` or `X-Real-IP`, believed only when the request comes
 * from a `--trusted-proxy` address, since anyone else could forge them.
 *
 * @module
 */

const IPV4 =
  /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const IPV6 = /^[0-9a-f:.]+$/i;

/** Whether `text` is an IPv4 or IPv6 address (it becomes the user's host, so nothing else may pass). */
export function isIpAddress(text: string): boolean {
  return IPV4.test(text) || (text.includes(":") && IPV6.test(text));
}

/** An IPv4-mapped IPv6 address (`::ffff:10.0.0.1`) written as plain IPv4, so lists match either form. */
function canonical(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return (mapped ? mapped[1] : address).toLowerCase();
}

/**
 * The client's address: the peer itself, unless the peer is a trusted proxy
 * and says who it forwards for. In `X-Forwarded-For` the nearest address not
 * itself a trusted proxy wins (entries further left are the client's own
 * claims); `X-Real-IP` is used when there is no usable `X-Forwarded-For`.
 */
export function clientAddress(
  peer: Deno.NetAddr,
  headers: Headers,
  trusted: readonly string[],
): Deno.NetAddr {
  const trustedSet = new Set(trusted.map(canonical));
  if (!trustedSet.has(canonical(peer.hostname))) return peer;
  const forwarded = (headers.get("x-forwarded-for") ?? "").split(",")
    .map((entry) => entry.trim()).filter((entry) => entry !== "");
  for (let i = forwarded.length - 1; i >= 0; i--) {
    const address = canonical(forwarded[i]);
    if (!isIpAddress(address)) break;
    if (!trustedSet.has(address)) return { ...peer, hostname: address };
  }
  const realIp = canonical(headers.get("x-real-ip")?.trim() ?? "");
  if (isIpAddress(realIp)) return { ...peer, hostname: realIp };
  return peer;
}
