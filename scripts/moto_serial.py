"""moto's server, answering one request at a time.

DynamoDB runs each TransactWriteItems atomically and serialises conflicting transactions; moto's
own server is threaded and interleaves concurrent transactions, so two writers could both pass
the same condition there. Answering requests one at a time gives the isolation DynamoDB
documents, which the gapless invoice numbering relies on (and tests under concurrency).

Usage: python scripts/moto_serial.py HOST PORT
"""

import os
import sys

from moto.moto_server.threaded_moto_server import MotoRequestHandler  # noqa: F401 (same handler moto uses)
from moto.server import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import run_simple


def main():
    host, port = sys.argv[1], int(sys.argv[2])
    os.environ.setdefault("MOTO_PORT", str(port))
    app = DomainDispatcherApplication(create_backend_app)
    run_simple(host, port, app, threaded=False, request_handler=MotoRequestHandler)


if __name__ == "__main__":
    main()
