"""SERVICE to an address that is not on the allow-list is refused, and nothing is contacted.

A real server (its query workers run Oxigraph, which would make the HTTP call) and a listening
socket on loopback that records every connection it accepts: after each refused query the
listener has seen none. The allow-list names one endpoint that does not exist (`.invalid`), so
a bypass that reached any allowed-looking target would show up as an error, never as data.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import httpx
import pytest

from tests.e2e.server import saphire_server
from tests.e2e.test_serve import make_project

ALLOWED = "http://allowed.invalid/sparql"


class Listener:
    """A TCP listener on 127.0.0.1 that accepts and records every connection (and closes it)."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections: list[tuple[str, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, peer = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections.append(peer)
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self.sock.close()


@pytest.fixture(scope="module")
def listener() -> Iterator[Listener]:
    found = Listener()
    yield found
    found.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    root = make_project(tmp_path_factory.mktemp("ssrf") / "project")
    with saphire_server(root, "--allow-service", ALLOWED, "--timeout", "5") as s:
        yield s


def _hostile(port: int) -> dict[str, str]:
    here = f"http://127.0.0.1:{port}"
    call = "SELECT * WHERE {{ SERVICE {} {{ ?s ?p ?o }} }}".format  # SERVICE to the target
    return {
        "loopback": call(f"<{here}/sparql>"),
        "localhost": call(f"<http://localhost:{port}/>"),
        "ipv6": call(f"<http://[::1]:{port}/>"),
        "decimal-ip": call(f"<http://2130706433:{port}/>"),
        "metadata": call("<http://169.254.169.254/latest/meta-data/>"),
        "prefixed": f"PREFIX x: <{here}/> " + call("x:sparql"),
        "base-relative": f"BASE <{here}/> " + call("<sparql>"),
        "variable": f"SELECT * WHERE {{ VALUES ?e {{ <{here}/> }} SERVICE ?e {{ ?s ?p ?o }} }}",
        "allowed-as-userinfo": call(f"<http://allowed.invalid@127.0.0.1:{port}/sparql>"),
        "allowed-as-prefix": call(f"<{ALLOWED}.127.0.0.1.nip.io:{port}/>"),
        "upper-case-scheme": call(f"<HTTP://127.0.0.1:{port}/>"),
        "lower-case-keyword": f"select * where {{ service <{here}/> {{ ?s ?p ?o }} }}",
        "iri-escape": call(f"<http://127.0.0.1\\u003A{port}/>"),
        "keyword-escape": f"SELECT * WHERE {{ \\u0053ERVICE <{here}/> {{ ?s ?p ?o }} }}",
        "after-comparison": (
            f"SELECT * WHERE {{ ?a ?b ?c FILTER(?a<?b) SERVICE <{here}/> {{ ?s ?p ?o }} }}"
        ),
        "nested": f"SELECT * WHERE {{ {{ {call(f'<{here}/>')} }} }}",
        "in-exists": f"ASK {{ FILTER EXISTS {{ SERVICE <{here}/> {{ ?s ?p ?o }} }} }}",
        "construct": f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ SERVICE <{here}/> {{ ?s ?p ?o }} }}",
        "from-named": f"SELECT * FROM <{here}/data> WHERE {{ ?s ?p ?o }}",
        # the engine needs no boundary between tokens (a code reviewer's cases)
        "after-a-number": f"SELECT * WHERE {{ ?s ?p 1.SERVICE <{here}/> {{ ?a ?b ?c }} }}",
        "glued-to-a-number": f"SELECT * WHERE {{ ?s ?p 1SERVICE <{here}/> {{ ?a ?b ?c }} }}",
        "after-true": f"SELECT * WHERE {{ ?s ?p true.SERVICE <{here}/> {{ ?a ?b ?c }} }}",
        "glued-to-true": f"SELECT * WHERE {{ ?s ?p trueSERVICE <{here}/> {{ ?a ?b ?c }} }}",
        "after-a-prefix": (
            f"PREFIX ex: <http://e/> SELECT * WHERE {{ ?s ?p ex:.SERVICE <{here}/> {{ ?a ?b ?c }} }}"
        ),
        # `<=` after EXISTS {} read as an IRI, then a comment hiding a string's start (another
        # reviewer's case: the listener was called)
        "after-exists": (
            "SELECT * WHERE {\n BIND(true AS ?b)\n FILTER(EXISTS{}<=?b#>'''\n )\n"
            f" SERVICE <{here}/> {{ ?s ?p ?o }}\n #'''\n}}"
        ),
    }


CASES = sorted(_hostile(1))


@pytest.mark.parametrize("case", CASES)
def test_service_off_the_allow_list_is_refused_and_nothing_is_contacted(
    server, listener: Listener, case: str
) -> None:
    query = _hostile(listener.port)[case]
    before = len(listener.connections)
    r = httpx.get(server.sparql, params={"query": query}, timeout=30)
    assert listener.connections[before:] == []
    if case == "from-named":  # FROM names a graph of the dataset, never a download
        assert r.status_code == 200, r.text
        return
    assert r.status_code in (400, 403), r.text
    assert r.text and "Traceback" not in r.text


def test_service_silent_off_the_allow_list_is_skipped_without_contact(
    server, listener: Listener
) -> None:
    before = len(listener.connections)
    query = (
        "SELECT ?s WHERE { BIND(1 AS ?s) "
        f"OPTIONAL {{ SERVICE SILENT <http://127.0.0.1:{listener.port}/> {{ ?x ?y ?z }} }} }}"
    )
    r = httpx.get(server.sparql, params={"query": query}, headers={"accept": "text/csv"})
    assert r.status_code == 200, r.text
    assert r.text.split() == ["s", "1"]
    assert listener.connections[before:] == []


def test_the_listener_does_record_a_connection(listener: Listener) -> None:
    """The control: the listener sees a connection that is made."""
    before = len(listener.connections)
    with socket.create_connection(("127.0.0.1", listener.port), timeout=5):
        pass
    deadline = threading.Event()
    for _ in range(50):
        if len(listener.connections) > before:
            break
        deadline.wait(0.1)
    assert len(listener.connections) == before + 1
