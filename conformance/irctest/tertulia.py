"""irctest controller for tertulia.

Like irctest's own controllers (ergo.py, inspircd.py): each test gets a fresh
server in a temporary directory, configured through a JSON options file read
by ``conformance/irctest/serve.ts`` (so the connection password is never on a
command line). The server listens on 127.0.0.1 only. TLS uses a fresh X.509
v3 certificate made with openssl (irctest's own helper makes a v1 one, which
Deno's TLS refuses). Time-travel tests run the server under faketime.

The runner (``conformance/irctest/run.py``) copies this file into a private
copy of irctest as ``irctest/controllers/tertulia.py``.
"""

import json
import os
from pathlib import Path
import shutil
import socket
import subprocess
from typing import Optional, Set, Tuple, Type

from irctest import patma
from irctest.basecontrollers import (
    BaseServerController,
    DirectoryBasedController,
    NotImplementedByController,
)
from irctest.specifications import Capabilities, OptionalBehaviors

#: The tertulia checkout under test (set by run.py).
REPO = Path(os.environ.get("TERTULIA_REPO", Path(__file__).resolve().parents[2]))

#: The Deno binary used to run the server.
DENO = os.environ.get("TERTULIA_DENO", shutil.which("deno") or "deno")

LOCALHOST = "127.0.0.1"

#: The operator irctest's OPER tests use (operuser / operpassword), with the
#: argon2id hash ``deno run -A server.ts hash-password`` printed for it. The
#: password is irctest's public test fixture, not a secret.
OPER = {
    "name": "operuser",
    "hash": "$argon2id$v=19$m=19456,t=2,p=1$farAMUzdKaORypuodUn/aA$MA/av8tVOxCIDRAXMIzhcEkqXkgb6ryTLLD8nQbYh3k",
}


class TertuliaController(BaseServerController, DirectoryBasedController):
    software_name = "tertulia"
    _port_wait_interval = 0.02
    supported_sasl_mechanisms: Set[str] = {"PLAIN", "SCRAM-SHA-256"}
    supports_sts = False
    extban_mute_char = "m"

    # Capabilities irctest must see acknowledged: a NAK of one of these fails
    # the test instead of skipping it.
    capabilities = frozenset(
        (
            Capabilities.AWAY_NOTIFY,
            Capabilities.BATCH,
            Capabilities.ECHO_MESSAGE,
            Capabilities.EXTENDED_MONITOR,
            Capabilities.LABELED_RESPONSE,
            Capabilities.MESSAGE_REDACTION,
            Capabilities.MESSAGE_TAGS,
            Capabilities.MULTI_PREFIX,
            Capabilities.READ_MARKER,
            Capabilities.SERVER_TIME,
            Capabilities.SETNAME,
        )
    )

    # ISUPPORT tokens irctest checks for (isupport.py).
    isupport = {
        "BOT": "B",
        "CASEMAPPING": "ascii",
        "ELIST": "CMNTU",
        "MONITOR": "100",
        "PREFIX": "(ov)@+",
        "STATUSMSG": "@+",
        "TARGMAX": patma.ANYSTR,
        "WHOX": None,
    }

    # Optional behaviours tertulia promises: a test skipping one of these
    # fails instead (conftest.py's pytest_runtest_call hook).
    optional_behaviors = frozenset(
        (
            OptionalBehaviors.BAN_EXCEPTION_MODE,
            OptionalBehaviors.CAP_REQ_MINUS,
            OptionalBehaviors.INVITE_EXCEPTION_MODE,
            OptionalBehaviors.INVITE_LIST,
            OptionalBehaviors.INVITE_OVERRIDES_LIMIT,
            OptionalBehaviors.MULTI_JOIN,
            OptionalBehaviors.MULTI_KICK,
            OptionalBehaviors.MULTI_PRIVMSG,
            OptionalBehaviors.NO_CTCP,
            OptionalBehaviors.ELIST_C,
            OptionalBehaviors.ELIST_M,
            OptionalBehaviors.ELIST_N,
            OptionalBehaviors.ELIST_T,
            OptionalBehaviors.ELIST_U,
        )
    )

    def wait_for_services(self) -> None:
        """Nothing to wait for: tertulia's services are part of the server."""

    def registerUser(self, case, username: str, password: Optional[str] = None) -> None:
        """Registers an account the way a client would: REGISTER after connecting."""
        assert password
        client = case.addClient(show_io=False)
        case.sendLine(client, "CAP LS 302")
        case.sendLine(client, "NICK " + username)
        case.sendLine(client, "USER r e g :user")
        case.sendLine(client, "CAP END")
        while case.getRegistrationMessage(client).command != "001":
            pass
        case.getMessages(client)
        case.sendLine(client, f"REGISTER * * {password}")
        while True:
            msg = case.getMessage(client)
            if msg.command in ("REGISTER", "FAIL"):
                break
        assert msg.command == "REGISTER" and msg.params[0] == "SUCCESS", msg
        case.sendLine(client, "QUIT")
        case.assertDisconnected(client)

    def get_hostname_and_port(self) -> Tuple[str, int]:
        """A free port on 127.0.0.1 (irctest's own helper binds every interface)."""
        with self._used_ports() as used_ports:
            while True:
                with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
                    probe.bind((LOCALHOST, 0))
                    port = probe.getsockname()[1]
                if (LOCALHOST, port) not in used_ports:
                    break
            used_ports.add((LOCALHOST, port))
            self._own_ports.add((LOCALHOST, port))
        return (LOCALHOST, port)

    def gen_ssl(self) -> None:
        """A self-signed X.509 v3 certificate (ECDSA P-256) for the TLS tests."""
        assert self.directory
        self.key_path = self.directory / "ssl.key"
        self.pem_path = self.directory / "ssl.pem"
        subprocess.check_output(
            [
                self.openssl_bin,
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:prime256v1",
                "-nodes",
                "-days",
                "2",
                "-subj",
                "/CN=My.Little.Server",
                "-addext",
                "subjectAltName=DNS:localhost,DNS:My.Little.Server,IP:127.0.0.1",
                "-keyout",
                self.key_path,
                "-out",
                self.pem_path,
            ],
            stderr=subprocess.DEVNULL,
        )

    def run(
        self,
        hostname: str,
        port: int,
        *,
        password: Optional[str],
        ssl: bool,
        run_services: bool,
        faketime: Optional[str] = None,
        websocket_hostname: Optional[str] = None,
        websocket_port: Optional[int] = None,
    ) -> None:
        assert self.proc is None
        self.port = port
        self.hostname = hostname
        self.create_config()
        assert self.directory

        options = {
            "host": LOCALHOST,
            "port": port,
            "name": "My.Little.Server",
            "network": "testnet",
            "description": "test server",
            # irctest sends bursts far beyond any human; delaying them only
            # slows the suite down.
            "floodRate": 0,
            "registrationTimeout": 10,
        }
        if password is not None:
            options["password"] = password
        if self.test_config.account_registration_requires_email:
            raise NotImplementedByController("account registration with email")
        options["opers"] = [OPER]
        # irctest registers accounts with passwords such as "bar".
        options["minPasswordLength"] = 1
        options["registerBeforeConnect"] = (
            self.test_config.account_registration_before_connect
        )
        if ssl:
            self.gen_ssl()
            options["tls"] = {
                "port": port,
                "certFile": str(self.pem_path),
                "keyFile": str(self.key_path),
            }
            options["tlsOnly"] = True
        if websocket_port is not None:
            options["web"] = {"port": websocket_port, "origins": ["*"]}
        redis = os.environ.get("TERTULIA_IRCTEST_REDIS")
        if redis:
            # A node of a network (docs/cluster.md). Tests run in parallel and
            # each starts from nothing, as with a fresh server: each gets a
            # network (a key prefix in Redis) of its own.
            options["redis"] = redis
            options["network"] = f"testnet-{port}-{os.getpid()}"
        if self.test_config.chathistory:
            # History is kept for CHATHISTORY but never replayed on JOIN,
            # which would add lines the tests do not expect.
            options["db"] = str(self.directory / "history.db")
            options["historyLines"] = 0
            options["historyCommitMs"] = 0

        config_path = self.directory / "server.json"
        with self.open_file("server.json", "w") as fd:
            json.dump(options, fd)

        if faketime and shutil.which("faketime"):
            faketime_cmd = ["faketime", "-f", faketime]
            self.faketime_enabled = True
        else:
            faketime_cmd = []

        self.proc = self.execute(
            [
                *faketime_cmd,
                DENO,
                "run",
                "-A",
                "--quiet",
                "--no-prompt",
                REPO / "conformance" / "irctest" / "serve.ts",
                config_path,
            ],
            proc_name="tertulia",
            env={**os.environ, "DENO_NO_UPDATE_CHECK": "1", "NO_COLOR": "1"},
            cwd=REPO,
        )


def get_irctest_controller_class() -> Type[TertuliaController]:
    return TertuliaController
