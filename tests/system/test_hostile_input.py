"""RELIABILITY.md "hostile XML": on the running service, every attack gets a clean AppRec or a 4xx
within a second, touches no file or network, and leaves memory bounded."""

from __future__ import annotations

import time

import httpx
import psutil
import pytest
from lxml import etree

from hub_shared.testing.http import bearer

pytestmark = [pytest.mark.system, pytest.mark.timeout(300)]

LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
<!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
<!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
<!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
<!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
<!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">]>
<MsgHead xmlns="http://www.kith.no/xmlstds/msghead/2006-05-24">&lol9;</MsgHead>"""


def _attacks(canary: str) -> dict[str, bytes]:
    return {
        "billion laughs": LAUGHS,
        "external entity (file)": (
            b'<?xml version="1.0"?><!DOCTYPE m [<!ENTITY x SYSTEM "file://'
            + canary.encode()
            + b'">]><MsgHead xmlns="http://www.kith.no/xmlstds/msghead/2006-05-24">&x;</MsgHead>'
        ),
        "external entity (network)": (
            b'<?xml version="1.0"?><!DOCTYPE m [<!ENTITY x SYSTEM "http://127.0.0.1:9/x">]>'
            b'<MsgHead xmlns="http://www.kith.no/xmlstds/msghead/2006-05-24">&x;</MsgHead>'
        ),
        "external DTD": b'<?xml version="1.0"?><!DOCTYPE m SYSTEM "http://127.0.0.1:9/x.dtd"><m/>',
        "XInclude": (
            b'<MsgHead xmlns="http://www.kith.no/xmlstds/msghead/2006-05-24" '
            b'xmlns:xi="http://www.w3.org/2001/XInclude"><xi:include href="file://'
            + canary.encode()
            + b'" parse="text"/></MsgHead>'
        ),
        "deep nesting": b"<a>" * 100_000 + b"</a>" * 100_000,
        "huge body": b"<a>" + b"x" * 5_000_000 + b"</a>",
        "wrong encoding": '<?xml version="1.0" encoding="UTF-8"?><a>æøå</a>'.encode("utf-16"),
        "random bytes": bytes(range(256)) * 20,
        "declared encoding lies": b'<?xml version="1.0" encoding="EBCDIC-XX"?><a/>',
    }


def test_every_attack_is_answered_cleanly_fast_and_with_bounded_memory(make_hub, tmp_path):
    canary = tmp_path / "secret.txt"
    canary.write_text("TOPSECRET-CANARY")
    hub = make_hub("admission-notice")
    spec = hub.spec("admission-notice")
    process = psutil.Process(hub.procs[spec.name].pid)
    before = process.memory_info().rss
    headers = {"content-type": "application/xml", **bearer("59")}
    with httpx.Client(base_url=spec.url, headers=headers, timeout=10) as http:
        for name, body in _attacks(str(canary)).items():
            for _ in range(3):
                started = time.perf_counter()
                response = http.post("/elin/messages", content=body)
                took = time.perf_counter() - started
                print(f"{name:28} -> {response.status_code} in {took * 1000:.0f} ms")
                assert took < 1.0, name
                assert response.status_code in (200, 413), name
                assert b"TOPSECRET" not in response.content
                if response.status_code == 200:
                    root = etree.fromstring(response.content)
                    assert root.find("{*}Status").get("V") == "2", name
    grown = (process.memory_info().rss - before) / 2**20
    print(f"resident memory grew by {grown:.1f} MB over {3 * len(_attacks(''))} attacks")
    assert grown < 100
    assert process.is_running() and hub.exited() == []
