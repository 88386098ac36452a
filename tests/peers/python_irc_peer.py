#!/usr/bin/python3
"""An IRC peer built on Python's `irc` library (Debian package python3-irc).

Connects to HOST:PORT as NICK and reports every event the library raises as
one JSON object per line on stdout:
  {"type": "pubmsg", "source": "alice", "target": "#chan", "arguments": ["hi"]}
After the MOTD it also reports {"type": "features", ...} with what the library
parsed from ISUPPORT.

Reads commands as JSON lines on stdin and calls the library's method of the
same name: {"command": "join", "args": ["#chan"]}. Allowed commands: join,
part, privmsg, nick, topic, names, ping, quit. Exits 0 once the server closes the
connection after a quit, 1 if the connection fails, 2 on bad usage. With --tls-ca FILE it connects with TLS and
verifies the server's certificate, for HOST, against that CA.
"""

import argparse
import functools
import json
import os
import select
import ssl
import sys

import irc.client
import irc.connection

COMMANDS = {"join", "part", "privmsg", "nick", "topic", "names", "ping", "quit"}


def emit(record):
    sys.stdout.write(json.dumps(record) + "\n")
    sys.stdout.flush()


def on_event(connection, event):
    if event.type == "all_raw_messages":
        return
    source = getattr(event.source, "nick", event.source)
    emit({
        "type": event.type,
        "source": source,
        "target": event.target,
        "arguments": list(event.arguments or []),
    })
    if event.type in ("endofmotd", "nomotd"):
        features = connection.features
        emit({
            "type": "features",
            "chantypes": getattr(features, "chantypes", None),
            "casemapping": getattr(features, "casemapping", None),
            "nicklen": getattr(features, "nicklen", None),
            "prefix": getattr(features, "prefix", None),
        })


def run_command(connection, line):
    try:
        request = json.loads(line)
        command, args = request["command"], request.get("args", [])
    except (ValueError, KeyError, TypeError) as error:
        emit({"type": "peer-error", "arguments": ["bad command line: %s" % error]})
        return
    if command not in COMMANDS:
        emit({"type": "peer-error", "arguments": ["unknown command: %s" % command]})
        return
    getattr(connection, command)(*args)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("host")
    parser.add_argument("port", type=int)
    parser.add_argument("nick")
    parser.add_argument("--tls-ca", metavar="FILE",
                        help="connect with TLS, trusting this PEM CA")
    options = parser.parse_args()

    factory = irc.connection.Factory()
    if options.tls_ca:
        context = ssl.create_default_context(cafile=options.tls_ca)
        factory = irc.connection.Factory(wrapper=functools.partial(
            context.wrap_socket, server_hostname=options.host))

    # Debian 12 ships irc 8.5, where the reactor is still called IRC.
    reactor = getattr(irc.client, "Reactor", None) or irc.client.IRC
    reactor = reactor()
    reactor.add_global_handler("all_events", on_event)
    connection = reactor.server()
    try:
        connection.connect(options.host, options.port, options.nick,
                           username=options.nick.lower(),
                           ircname="%s (python irc)" % options.nick,
                           connect_factory=factory)
    except (irc.client.ServerConnectionError, ssl.SSLError, OSError) as error:
        emit({"type": "peer-error", "arguments": ["connect failed: %s" % error]})
        return 1

    stdin = sys.stdin.fileno()
    pending = b""
    while connection.is_connected():
        sockets = [connection.socket]
        if stdin is not None:
            sockets.append(stdin)
        readable, _, _ = select.select(sockets, [], [], 1.0)
        if stdin in readable:
            chunk = os.read(stdin, 4096)
            if not chunk:
                stdin = None
                connection.quit("stdin closed")
            pending += chunk
            while b"\n" in pending:
                line, pending = pending.split(b"\n", 1)
                if line.strip():
                    run_command(connection, line.decode("utf-8"))
        if connection.socket in readable:
            reactor.process_data([connection.socket])
            # TLS may hold decrypted bytes that select() cannot see.
            while connection.is_connected() and getattr(
                    connection.socket, "pending", lambda: 0)():
                reactor.process_data([connection.socket])
        reactor.process_timeout()
    return 0


if __name__ == "__main__":
    sys.exit(main())
