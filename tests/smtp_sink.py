"""A real SMTP server for tests, run as a process of its own: it writes each mail it receives to a folder.

    python tests/smtp_sink.py --port 2525 --folder /tmp/mails [--refuse-while /tmp/mails/refuse]

Each mail is ``<n>.eml`` (the message as received) beside ``<n>.json`` (the envelope: sender and recipients),
written whole before it appears. While the ``--refuse-while`` file exists, every mail is refused with 451
(a temporary failure, as a mail server that is overloaded answers). It prints "listening" once it accepts
connections, and stops on SIGTERM or SIGINT.
"""

from __future__ import annotations

import argparse
import itertools
import json
import signal
import threading
from pathlib import Path

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, folder: Path, refuse_while: Path | None):
        self.folder = folder
        self.refuse_while = refuse_while
        self.numbers = itertools.count(1)

    async def handle_DATA(self, server, session, envelope) -> str:  # the name aiosmtpd calls
        if self.refuse_while and self.refuse_while.exists():
            return "451 4.3.0 Try again later"
        number = next(self.numbers)
        envelope_data = {"mail_from": envelope.mail_from, "rcpt_tos": list(envelope.rcpt_tos)}
        for suffix, content in ((".json", json.dumps(envelope_data).encode()), (".eml", envelope.content)):
            partial = self.folder / f".{number}{suffix}.part"
            partial.write_bytes(content)
            partial.rename(self.folder / f"{number}{suffix}")  # the .eml last: when it is there, both are
        return "250 OK"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--folder", type=Path, required=True)
    parser.add_argument("--refuse-while", type=Path, help="refuse every mail with 451 while this file exists")
    options = parser.parse_args()
    options.folder.mkdir(parents=True, exist_ok=True)

    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_args: stop.set())
    controller = Controller(Sink(options.folder, options.refuse_while), hostname=options.host, port=options.port)
    controller.start()  # returns once the server accepts connections
    print("listening", flush=True)
    try:
        stop.wait()
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
