/**
 * One open connection as IRC messages: an ordered writer (one write per
 * batch) and a reader that hands over each parsed line until the
 * connection ends.
 *
 * @module
 */

import {
  LineFramerStream,
  type Message,
  MessageError,
  parseMessage,
  serializeMessage,
} from "../protocol.ts";
import { detectTlsReply } from "../tls/sniff.ts";

/** A connection speaking IRC messages. */
export interface Link {
  /**
   * Queues `messages` for sending, in order, as one write. A message that
   * cannot be serialised is skipped and reported through `onInvalid`.
   */
  send(messages: Message[]): void;
  /** Settles once the connection has ended (closed by either side or failed). */
  closed: Promise<void>;
  /** Closes the connection; `closed` settles soon after. */
  close(): void;
}

/** Callbacks for {@link openLink}. */
export interface LinkHandlers {
  /** Called with every well-formed message received; malformed lines are dropped. */
  onMessage: (message: Message) => void;
  /** Called with a sentence when an outgoing message is invalid and was not sent. */
  onInvalid: (reason: string) => void;
  /** When given, called if the server answers with TLS records (a plain-text connection to a TLS port); the link then ends. */
  onTlsReply?: () => void;
}

const encoder = new TextEncoder();

async function writeFully(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let written = 0;
  while (written < bytes.length) {
    written += await conn.write(bytes.subarray(written));
  }
}

function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // Already closed.
  }
}

/** Starts reading `conn` and returns the {@link Link} for it. */
export function openLink(conn: Deno.Conn, handlers: LinkHandlers): Link {
  let writing: Promise<void> = Promise.resolve();

  const closed = (async () => {
    try {
      const bytes = handlers.onTlsReply === undefined
        ? conn.readable
        : conn.readable.pipeThrough(detectTlsReply(handlers.onTlsReply));
      const lines = bytes.pipeThrough(new LineFramerStream());
      for await (const framed of lines) {
        if (framed.kind !== "line") continue;
        let message: Message;
        try {
          message = parseMessage(framed.line);
        } catch {
          continue;
        }
        handlers.onMessage(message);
      }
    } catch {
      // Reset or closed under us: the same as the server closing.
    }
    closeQuietly(conn);
  })();

  return {
    send(messages) {
      let text = "";
      for (const message of messages) {
        try {
          text += serializeMessage(message) + "\r\n";
        } catch (error) {
          if (!(error instanceof MessageError)) throw error;
          handlers.onInvalid(`Not sent: ${error.message}`);
        }
      }
      if (text === "") return;
      const bytes = encoder.encode(text);
      writing = writing.then(() => writeFully(conn, bytes)).catch(() => {
        // A failed write means the connection is gone; the reader ends too.
      });
    },
    closed,
    close: () => closeQuietly(conn),
  };
}
