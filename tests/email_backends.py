"""An e-mail backend for tests that run a real worker process.

It appends ``sent <Message-ID>`` to the file named by ``EMAIL_LOG_FILE`` for every message.
While the file named by ``EMAIL_PAUSE_FILE`` exists and holds a number N, the message after
the N-th one blocks (``waiting <Message-ID>``) before it is sent, so a test can kill the
worker at a known point in the middle of a batch.
"""

import os
import time
from pathlib import Path

from django.core.mail.backends.base import BaseEmailBackend


class PausableLogBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        log = Path(os.environ["EMAIL_LOG_FILE"])
        pause = Path(os.environ.get("EMAIL_PAUSE_FILE", "/nonexistent"))
        sent = 0
        for message in email_messages:
            message_id = message.extra_headers.get("Message-ID") or message.message()["Message-ID"]
            if pause.exists():
                already = log.read_text().count("sent ") if log.exists() else 0
                if already >= int(pause.read_text() or 0):
                    with log.open("a") as out:
                        out.write(f"waiting {message_id}\n")
                    while pause.exists():
                        time.sleep(0.05)
            with log.open("a") as out:
                out.write(f"sent {message_id}\n")
            sent += 1
        return sent
