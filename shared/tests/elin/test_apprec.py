"""AppRec: every receipt the hub can write validates; the mapping follows HIS 80415 §3.5;
received AppRecs (official samples) parse."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest
from lxml import etree

from hub_shared.elin.apprec import (
    UNKNOWN_MSG_TYPE,
    UNKNOWN_PARTY_NAME,
    apprec_version_for,
    build_apprec,
)
from hub_shared.elin.codes import NS_APPREC_10, NS_APPREC_11, AppRecErrorCode
from hub_shared.elin.models import AppRecError, MsgHeadInfo, Party
from hub_shared.elin.reader import MessageRejected, parse_apprec, read_message

HUB = Party(
    her_id="8100001", name="Utskrivningshub", service_her_id="8100002", service_name="Mottak"
)
ORIGINAL = MsgHeadInfo(
    msg_type="LOG_INNLAGT",
    msg_type_text="Melding om innlagt pasient",
    gen_date=datetime(2025, 3, 10, 14, 40, 12),
    msg_id="6f1c2a52-9d7e-4b53-9a43-2f0d1c9b7e11",
    sender=Party(
        her_id="59", name="ST OLAVS HOSPITAL HF", service_her_id="90998", service_name="Orto"
    ),
    receiver=Party(
        her_id="99387", name="Alvdal Kommune", service_her_id="5078", service_name="Pleie"
    ),
)
PARTIAL = MsgHeadInfo(msg_id="abc", sender=Party(her_id="59"))  # e.g. taken from a T02 document
GEN_DATE = datetime(2025, 3, 10, 14, 41, 30)
NAMESPACES = {"1.0": NS_APPREC_10, "1.1": NS_APPREC_11}


def _build(version: str, original: MsgHeadInfo | None, errors: list[AppRecError]) -> bytes:
    return build_apprec(
        original=original,
        errors=errors,
        version=version,  # type: ignore[arg-type]
        apprec_id=uuid.UUID("c4d5e6f7-0a1b-4c2d-8e3f-9a0b1c2d3e4f"),
        gen_date=GEN_DATE,
        hub=HUB,
    )


def _assert_valid(data: bytes, schema: etree.XMLSchema) -> etree._Element:
    root = etree.fromstring(data)
    assert schema.validate(root), schema.error_log.filter_from_errors()
    return root


@pytest.mark.parametrize("version", ["1.0", "1.1"])
@pytest.mark.parametrize("original", [ORIGINAL, PARTIAL, None], ids=["full", "partial", "none"])
@pytest.mark.parametrize("code", [None, *AppRecErrorCode], ids=lambda c: c or "OK")
def test_every_apprec_validates(
    version: str,
    original: MsgHeadInfo | None,
    code: AppRecErrorCode | None,
    elin_schema: etree.XMLSchema,
) -> None:
    errors = [] if code is None else [AppRecError(code, f"Feil i felt for {code.value}")]
    root = _assert_valid(_build(version, original, errors), elin_schema)
    assert etree.QName(root).namespace == NAMESPACES[version]
    ns = {"a": NAMESPACES[version]}
    assert root.find("a:Status", ns).get("V") == ("1" if code is None else "2")
    if code is not None:
        error = root.find("a:Error", ns)
        assert error.attrib == {
            "V": code.value,
            "DN": code.text,
            "S": "2.16.578.1.12.4.1.1.8221",
            "OT": f"Feil i felt for {code.value}",
        }


def test_several_errors_and_empty_extra(elin_schema: etree.XMLSchema) -> None:
    errors = [AppRecError(AppRecErrorCode.E10), AppRecError(AppRecErrorCode.E36, "Navn mangler")]
    root = _assert_valid(_build("1.1", ORIGINAL, errors), elin_schema)
    found = root.findall(f"{{{NS_APPREC_11}}}Error")
    assert [e.get("V") for e in found] == ["E10", "E36"]
    assert "OT" not in found[0].attrib


def test_mapping_of_a_full_original(elin_schema: etree.XMLSchema) -> None:
    data = _build("1.1", ORIGINAL, [AppRecError(AppRecErrorCode.E21, "Tjenesten er ikke i bruk")])
    _assert_valid(data, elin_schema)
    info = parse_apprec(data, schema=elin_schema)
    # The original receiver answers (Sender, PRIM); the original sender gets it (Receiver, AVS).
    assert info.sender == ORIGINAL.receiver
    assert info.receiver == ORIGINAL.sender
    assert (info.original_msg_id, info.original_msg_type, info.original_issue_date) == (
        ORIGINAL.msg_id,
        "LOG_INNLAGT",
        ORIGINAL.gen_date,
    )
    assert (info.version, info.status, info.status_text, info.ok) == ("1.1", "2", "Avvist", False)
    assert info.msg_id == "c4d5e6f7-0a1b-4c2d-8e3f-9a0b1c2d3e4f"
    assert info.gen_date == GEN_DATE
    assert [(e.code, e.text, e.extra) for e in info.errors] == [
        ("E21", "Mottaker finnes ikke", "Tjenesten er ikke i bruk")
    ]
    root = etree.fromstring(data)
    ns = {"a": NS_APPREC_11}
    assert root.find("a:Sender/a:Role", ns).attrib == {"V": "PRIM", "DN": "Primærmottaker"}
    assert root.find("a:Receiver/a:Role", ns).attrib == {"V": "AVS", "DN": "Avsender"}
    assert root.findtext("a:MIGversion", namespaces=ns) == "v1.1 2012-02-15"
    assert root.findtext("a:OriginalMsgId/a:IssueDate", namespaces=ns) == "2025-03-10T14:40:12"
    dept_type = root.find("a:Sender/a:HCP/a:Inst/a:Dept/a:TypeId", ns)
    assert dept_type.attrib == {"V": "HER", "DN": "HER-id"}


def test_placeholders_without_original(elin_schema: etree.XMLSchema) -> None:
    data = _build("1.0", None, [AppRecError(AppRecErrorCode.T01, "Ikke XML")])
    root = _assert_valid(data, elin_schema)
    ns = {"a": NS_APPREC_10}
    assert root.findtext("a:MIGversion", namespaces=ns) == "1.0 2004-11-21"
    info = parse_apprec(data)
    assert info.sender == HUB
    assert info.receiver == Party(name=UNKNOWN_PARTY_NAME)
    assert info.original_msg_type == UNKNOWN_MSG_TYPE[0]
    assert info.original_issue_date == GEN_DATE
    assert root.findtext("a:OriginalMsgId/a:Id", namespaces=ns) == ""


def test_partial_original_echoes_what_is_known(elin_schema: etree.XMLSchema) -> None:
    info = parse_apprec(_build("1.1", PARTIAL, [AppRecError(AppRecErrorCode.T02, "x")]))
    assert (info.original_msg_id, info.receiver.her_id, info.sender) == ("abc", "59", HUB)


def test_aware_gen_date_is_written_as_oslo_local_time() -> None:
    from datetime import UTC

    data = build_apprec(
        original=ORIGINAL,
        errors=[],
        version="1.1",
        apprec_id=uuid.uuid4(),
        gen_date=datetime(2025, 7, 1, 10, 0, tzinfo=UTC),
        hub=HUB,
    )
    assert b"<GenDate>2025-07-01T12:00:00</GenDate>" in data


@pytest.mark.parametrize(
    ("content_version", "apprec_version"),
    [("1.5", "1.0"), ("1.6", "1.1"), ("1.1", "1.1"), (None, "1.1")],
)
def test_apprec_version_for(content_version: str | None, apprec_version: str) -> None:
    assert apprec_version_for(content_version) == apprec_version


def test_plo_15_is_answered_with_apprec_10(
    make_plo: Callable[..., bytes], elin_schema: etree.XMLSchema
) -> None:
    msg = read_message(
        make_plo(version="1.5"), schema=elin_schema, supported_types=frozenset({"LOG_INNLAGT"})
    )
    version = apprec_version_for(msg.content_version)
    data = build_apprec(
        original=msg.head,
        errors=[],
        version=version,
        apprec_id=uuid.uuid4(),
        gen_date=GEN_DATE,
        hub=HUB,
    )
    root = _assert_valid(data, elin_schema)
    assert etree.QName(root).namespace == NS_APPREC_10


# --- received AppRecs -----------------------------------------------------------------------------
SAMPLES = {
    "apprec/MetadataTests_Apprec10.xml": ("1.0", "1", (), "de1a95c0-4d0c-11e7-9598-0800200c9a66"),
    "apprec/MetadataTests_Apprec11.xml": ("1.1", "1", (), "de1a95c0-4d0c-11e7-9598-0800200c9a66"),
    "apprec/app-rec__1.0__all-data.xml": ("1.0", "1", (), "36bbe907-5c2a-4ca9-be92-c7e9c5f2e4d6"),
    "apprec/app-rec__1.0__example-avvist.xml": (
        "1.0",
        "2",
        ("E21",),
        "a6967e6a-8c0a-4be4-a647-c921d3086423",
    ),
    "apprec/app-rec__1.0__example-ok-feil-i-delmelding.xml": (
        "1.0",
        "3",
        ("07", "16"),
        "37de51e0-33a9-11de-a4cb-0002a5d5c51b",
    ),
    "apprec/app-rec__1.0__example-ok.xml": ("1.0", "1", (), "a6967e6a-8c0a-4be4-a647-c921d3086423"),
    "apprec/app-rec__1.0__unknown-status.xml": (
        "1.0",
        "73",
        (),
        "36bbe907-5c2a-4ca9-be92-c7e9c5f2e4d6",
    ),
    "apprec/app-rec__1.1__all-data.xml": ("1.1", "1", (), "5d79bd68-a58c-4599-a4e7-9db28ea20099"),
    "apprec/app-rec__1.1__example-avvist.xml": (
        "1.1",
        "2",
        ("E21",),
        "e0e21a90-5ec8-11e1-b86c-0800200c9a66",
    ),
    "apprec/app-rec__1.1__example-ok.xml": ("1.1", "1", (), "4c793d90-c41b-11e0-962b-0800200c9a66"),
    "apprec/app-rec__1.1__unknown-status.xml": (
        "1.1",
        "123",
        (),
        "5d79bd68-a58c-4599-a4e7-9db28ea20099",
    ),
    "constructed/03_AppRec_v1.1_OK_for_LOG_UTSKRIVNINGSKLAR.xml": (
        "1.1",
        "1",
        (),
        "0b7f6a1e-3c2d-4e8f-9a10-5d6c7b8a9f01",
    ),
    "constructed/04_AppRec_v1.1_Avvist_for_LOG_INNLAGT.xml": (
        "1.1",
        "2",
        ("E21",),
        "6f1c2a52-9d7e-4b53-9a43-2f0d1c9b7e11",
    ),
}
BROKEN_SAMPLES = [
    "apprec/app-rec__missing-migversion.xml",
    "apprec/app-rec__unknown-migversion.xml",
]


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_apprec_sample(name: str, elin_reference: Path, elin_schema: etree.XMLSchema) -> None:
    version, status, codes, original = SAMPLES[name]
    info = parse_apprec((elin_reference / "samples" / name).read_bytes(), schema=elin_schema)
    assert (info.version, info.status, info.original_msg_id) == (version, status, original)
    assert tuple(error.code for error in info.errors) == codes
    assert info.ok == (status == "1")
    assert info.sender.name and info.receiver.name


def test_every_apprec_sample_is_covered(elin_reference: Path) -> None:
    samples = elin_reference / "samples"
    names = {
        str(path.relative_to(samples))
        for folder in ("apprec", "constructed")
        for path in (samples / folder).glob("*.xml")
        if b"<AppRec" in path.read_bytes()
    }
    assert names == set(SAMPLES) | set(BROKEN_SAMPLES)


def test_constructed_apprec_details(elin_reference: Path) -> None:
    name = "constructed/04_AppRec_v1.1_Avvist_for_LOG_INNLAGT.xml"
    info = parse_apprec((elin_reference / "samples" / name).read_bytes())
    assert info.sender == Party(
        her_id="99387",
        name="Alvdal Kommune",
        service_her_id="5078",
        service_name="Sykepleietjeneste",
    )
    assert (info.receiver.her_id, info.receiver.service_her_id) == ("59", "90998")
    assert info.original_msg_type == "LOG_INNLAGT"
    assert info.original_issue_date == datetime(2025, 3, 10, 14, 40, 12)
    assert info.errors[0].extra == "Tjenesten er ikke i bruk. Send til Tildelingskontoret."


def test_dotnet_time_with_offset_becomes_oslo_local(elin_reference: Path) -> None:
    info = parse_apprec((elin_reference / "samples/apprec/MetadataTests_Apprec11.xml").read_bytes())
    assert info.gen_date == datetime(2020, 9, 14, 16, 1, 45, 467)  # 14:01:45.0004673Z, CEST


@pytest.mark.parametrize("name", BROKEN_SAMPLES)
def test_broken_apprec_samples_are_refused(name: str, elin_reference: Path) -> None:
    with pytest.raises(MessageRejected) as caught:
        parse_apprec((elin_reference / "samples" / name).read_bytes())
    assert [e.code for e in caught.value.errors] == [AppRecErrorCode.T10]


def test_a_msghead_is_not_an_apprec(make_plo: Callable[..., bytes]) -> None:
    with pytest.raises(MessageRejected) as caught:
        parse_apprec(make_plo())
    assert [e.code for e in caught.value.errors] == [AppRecErrorCode.T10]


def test_garbage_is_not_an_apprec() -> None:
    with pytest.raises(MessageRejected) as caught:
        parse_apprec(b"<AppRec")
    assert [e.code for e in caught.value.errors] == [AppRecErrorCode.T01]
