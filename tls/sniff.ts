/**
 * Recognises TLS records by their first bytes, so a port can tell a TLS peer
 * from a plain-text one before it misreads the bytes as IRC lines.
 *
 * @module
 */

/** TLS record content types: change_cipher_spec, alert, handshake, application_data. */
const FIRST_RECORD_TYPE = 0x14;
const LAST_RECORD_TYPE = 0x17;
/** The record type of a handshake message, which a ClientHello is. */
const HANDSHAKE = 0x16;
/** Major version byte of every SSL 3 / TLS 1.x record. */
const VERSION_MAJOR = 0x03;

/**
 * Whether `bytes` starts like a TLS record of any type: what a plain-text
 * client receives from a TLS port (an alert) or sees from a TLS peer.
 */
export function looksLikeTls(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] >= FIRST_RECORD_TYPE &&
    bytes[0] <= LAST_RECORD_TYPE && bytes[1] === VERSION_MAJOR;
}

/** Whether `bytes` starts like a TLS handshake record, i.e. a ClientHello sent to a plain-text port. */
export function looksLikeClientHello(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === HANDSHAKE &&
    bytes[1] === VERSION_MAJOR;
}

/**
 * A pass-through byte stream for a plain-text connection that checks the
 * first chunk: when it looks like TLS (the alert a TLS port answers plain
 * text with), it calls `onTls` and ends the stream instead of passing it on.
 */
export function detectTlsReply(
  onTls: () => void,
): TransformStream<Uint8Array, Uint8Array> {
  let first = true;
  return new TransformStream({
    transform(chunk, controller) {
      if (first && looksLikeTls(chunk)) {
        onTls();
        controller.terminate();
        return;
      }
      first = false;
      controller.enqueue(chunk);
    },
  });
}
