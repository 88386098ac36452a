/**
 * IRC message parsing and serialisation, following modern.ircdocs.horse and
 * the IRCv3 message-tags specification.
 *
 * @module
 */

/** One IRC message: optional IRCv3 tags and source, a command and its parameters. */
export interface Message {
  /** IRCv3 tags, unescaped; a tag without a value maps to `""`. */
  tags: Record<string, string>;
  /** The source (prefix) without its leading `:`, if the line had one. */
  source?: string;
  /** The verb (`PRIVMSG`) or three-digit numeric (`001`), as it appeared on the line. */
  command: string;
  /** Middle parameters followed by the trailing one, with no leading `:`. */
  params: string[];
}

/** Bytes allowed for the part of a line after the tags, CRLF included. */
export const MAX_LINE_BYTES = 512;
/** Bytes allowed for the tags section, its leading `@` and trailing space included. */
export const MAX_TAGS_BYTES = 8191;

/** Why a line could not be parsed or a message could not be serialised. */
export type MessageErrorCode =
  | "empty"
  | "no-command"
  | "bad-command"
  | "forbidden-character"
  | "bad-param"
  | "bad-tag"
  | "line-too-long"
  | "tags-too-long";

/** The one error `parseMessage` and `serializeMessage` throw. */
export class MessageError extends Error {
  /** What was wrong, for callers that answer with a numeric. */
  readonly code: MessageErrorCode;
  /** Creates an error with a machine-readable `code` and a sentence for people. */
  constructor(code: MessageErrorCode, message: string) {
    super(message);
    this.name = "MessageError";
    this.code = code;
  }
}

const COMMAND = /^(?:[A-Za-z]+|[0-9]{3})$/;
const TAG_KEY = /^\+?(?:[A-Za-z0-9.-]+\/)?[A-Za-z0-9-]+$/;
const FORBIDDEN = /[\r\n\0]/;
const encoder = new TextEncoder();

const UNESCAPES: Record<string, string> = {
  ":": ";",
  "s": " ",
  "\\": "\\",
  "r": "\r",
  "n": "\n",
};

/** Undoes IRCv3 tag value escaping; a stray trailing backslash is dropped. */
export function unescapeTagValue(value: string): string {
  if (!value.includes("\\")) return value;
  let out = "";
  for (let i = 0; i < value.length; i++) {
    const char = value[i];
    if (char !== "\\") {
      out += char;
      continue;
    }
    i++;
    if (i >= value.length) break;
    out += UNESCAPES[value[i]] ?? value[i];
  }
  return out;
}

/** Applies IRCv3 tag value escaping (`;` `\s` `\\` `\r` `\n`). */
export function escapeTagValue(value: string): string {
  return value.replace(/[; \\\r\n]/g, (char) => {
    switch (char) {
      case ";":
        return "\\:";
      case " ":
        return "\\s";
      case "\\":
        return "\\\\";
      case "\r":
        return "\\r";
      default:
        return "\\n";
    }
  });
}

/** Parses a tags section (without its `@`); throws a {@link MessageError} for a bad tag name. */
export function parseTags(section: string): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const item of section.split(";")) {
    if (item === "") continue;
    const equals = item.indexOf("=");
    const key = equals === -1 ? item : item.slice(0, equals);
    if (!TAG_KEY.test(key)) {
      throw new MessageError("bad-tag", `Invalid tag name: ${key}`);
    }
    tags[key] = equals === -1 ? "" : unescapeTagValue(item.slice(equals + 1));
  }
  return tags;
}

/** Moves `index` past any run of spaces in `line`. */
function skipSpaces(line: string, index: number): number {
  while (line.charCodeAt(index) === 0x20) index++;
  return index;
}

/**
 * Parses one line (without its CRLF) into a {@link Message}.
 *
 * Atoms are separated by one or more spaces. Throws a {@link MessageError},
 * and nothing else, when the line is malformed: empty, without a command,
 * with an invalid command or tag name, or holding CR, LF or NUL.
 */
export function parseMessage(line: string): Message {
  if (FORBIDDEN.test(line)) {
    throw new MessageError(
      "forbidden-character",
      "Line holds CR, LF or NUL",
    );
  }
  let index = skipSpaces(line, 0);
  if (index >= line.length) throw new MessageError("empty", "Empty line");

  let tags: Record<string, string> = {};
  if (line[index] === "@") {
    const end = line.indexOf(" ", index);
    if (end === -1) throw new MessageError("no-command", "Tags but no command");
    tags = parseTags(line.slice(index + 1, end));
    index = skipSpaces(line, end);
  }

  let source: string | undefined;
  if (line[index] === ":") {
    const end = line.indexOf(" ", index);
    if (end === -1) {
      throw new MessageError("no-command", "Source but no command");
    }
    source = line.slice(index + 1, end);
    index = skipSpaces(line, end);
  }

  const commandEnd = line.indexOf(" ", index);
  const command = commandEnd === -1
    ? line.slice(index)
    : line.slice(index, commandEnd);
  if (command === "") throw new MessageError("no-command", "No command");
  if (!COMMAND.test(command)) {
    throw new MessageError("bad-command", `Invalid command: ${command}`);
  }

  const params: string[] = [];
  index = commandEnd === -1 ? line.length : skipSpaces(line, commandEnd);
  while (index < line.length) {
    if (line[index] === ":") {
      params.push(line.slice(index + 1));
      break;
    }
    const end = line.indexOf(" ", index);
    if (end === -1) {
      params.push(line.slice(index));
      break;
    }
    params.push(line.slice(index, end));
    index = skipSpaces(line, end);
  }

  const message: Message = { tags, command, params };
  if (source !== undefined) message.source = source;
  return message;
}

function checkPart(what: string, value: string): void {
  if (FORBIDDEN.test(value)) {
    throw new MessageError(
      "forbidden-character",
      `${what} holds CR, LF or NUL`,
    );
  }
}

/** Serialises only the tags section, without the leading `@` or trailing space. */
export function serializeTags(tags: Record<string, string>): string {
  const items: string[] = [];
  for (const [key, value] of Object.entries(tags)) {
    if (!TAG_KEY.test(key)) {
      throw new MessageError("bad-tag", `Invalid tag name: ${key}`);
    }
    if (value.includes("\0")) {
      throw new MessageError("forbidden-character", `Tag ${key} holds NUL`);
    }
    items.push(value === "" ? key : `${key}=${escapeTagValue(value)}`);
  }
  return items.join(";");
}

/**
 * Serialises the part of a message after its tags: source, command and
 * parameters. Throws a {@link MessageError} for anything that could inject a
 * second line or corrupt the frame, or that is longer than 510 bytes.
 */
export function serializeBody(
  source: string | undefined,
  command: string,
  params: readonly string[],
): string {
  if (!COMMAND.test(command)) {
    throw new MessageError("bad-command", `Invalid command: ${command}`);
  }
  let body = command;
  if (source !== undefined) {
    if (source === "" || source.includes(" ")) {
      throw new MessageError("bad-param", "Source is empty or holds a space");
    }
    checkPart("Source", source);
    body = `:${source} ${command}`;
  }
  const last = params.length - 1;
  for (let i = 0; i <= last; i++) {
    const param = params[i];
    checkPart("Parameter", param);
    if (i < last) {
      if (param === "" || param[0] === ":" || param.includes(" ")) {
        throw new MessageError(
          "bad-param",
          `Middle parameter ${
            JSON.stringify(param)
          } is empty, starts with ':' or holds a space`,
        );
      }
      body += " " + param;
    } else if (param === "" || param[0] === ":" || param.includes(" ")) {
      body += " :" + param;
    } else {
      body += " " + param;
    }
  }
  if (encoder.encode(body).length > MAX_LINE_BYTES - 2) {
    throw new MessageError(
      "line-too-long",
      `Line is over ${MAX_LINE_BYTES} bytes with CRLF`,
    );
  }
  return body;
}

/**
 * Serialises a {@link Message} to one line without the CRLF.
 *
 * Throws a {@link MessageError} when a part holds CR, LF or NUL, a middle
 * parameter is empty, starts with `:` or holds a space, or the line is over
 * the limits ({@link MAX_LINE_BYTES} after the tags, {@link MAX_TAGS_BYTES}
 * for the tags section).
 */
export function serializeMessage(message: Message): string {
  const body = serializeBody(message.source, message.command, message.params);
  const tags = serializeTags(message.tags);
  if (tags === "") return body;
  if (encoder.encode(tags).length + 2 > MAX_TAGS_BYTES) {
    throw new MessageError(
      "tags-too-long",
      `Tags section is over ${MAX_TAGS_BYTES} bytes`,
    );
  }
  return `@${tags} ${body}`;
}
