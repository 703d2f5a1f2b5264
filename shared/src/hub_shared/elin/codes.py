"""The code lists (kodeverk) and fixed identifiers of the ELIN/PLO standards, as data.

Every list has the OID ``2.16.578.1.12.4.1.1.<list number>`` (Volven). Display texts (DN) are
copied from the official lists (kith-visningsfiler ``kodeverk.xsl``; 8431 and 7322 from the
standards' text), so that an AppRec or a message written here says what the receiver expects.
"""

from __future__ import annotations

from enum import IntEnum, StrEnum
from typing import Final

OID_PREFIX: Final = "2.16.578.1.12.4.1.1."


def oid(list_number: int) -> str:
    """The OID of a Volven code list, e.g. ``oid(8221)`` is ``2.16.578.1.12.4.1.1.8221``."""
    return f"{OID_PREFIX}{list_number}"


# --- Namespaces ------------------------------------------------------------------------------
NS_MSGHEAD: Final = "http://www.kith.no/xmlstds/msghead/2006-05-24"
NS_PLO_15: Final = "http://www.kith.no/xmlstds/po/Pasientlogistikk/2009-06-30"
NS_PLO_16: Final = "http://www.kith.no/xmlstds/po/Pasientlogistikk/2012-04-01"
NS_POKOMPONENT_15: Final = "http://www.kith.no/xmlstds/po/poKomponent/2009-06-30"
NS_POKOMPONENT_16: Final = "http://www.kith.no/xmlstds/po/poKomponent/2012-04-01"
NS_FK1: Final = "http://www.kith.no/xmlstds/felleskomponent1"
NS_DIALOG_11: Final = "http://www.kith.no/xmlstds/dialog/2013-01-23"
NS_APPREC_10: Final = "http://www.kith.no/xmlstds/apprec/2004-11-21"
NS_APPREC_11: Final = "http://www.kith.no/xmlstds/apprec/2012-02-15"

MIG_MSGHEAD: Final = "v1.2 2006-05-24"
MIG_APPREC: Final = {"1.0": "1.0 2004-11-21", "1.1": "v1.1 2012-02-15"}
# Pasientlogistikk version -> (body namespace, poKomponent namespace)
PLO_NAMESPACES: Final = {
    "1.5": (NS_PLO_15, NS_POKOMPONENT_15),
    "1.6": (NS_PLO_16, NS_POKOMPONENT_16),
}


class _Coded(StrEnum):
    """A code of a Volven list: the value is V, ``.text`` the DN and ``.oid`` the list's S."""

    @property
    def text(self) -> str:
        return self._texts()[self.value]

    @classmethod
    def _texts(cls) -> dict[str, str]:
        raise NotImplementedError

    @classmethod
    def list_number(cls) -> int:
        raise NotImplementedError

    @property
    def oid(self) -> str:
        return oid(self.list_number())


# --- 8279 Meldingens funksjon (MsgInfo/Type) ---------------------------------------------------
MESSAGE_TYPE_TEXTS: Final = {
    "LOG_INNLAGT": "Melding om innlagt pasient",
    "LOG_UTSKRIVNINGSKLAR": "Melding om utskrivningsklar pasient",
    "LOG_AVMELDING": "Avmelding av utskrivningsklar pasient",
    "LOG_UTSKREVET": "Melding om utskrevet pasient",
    "LOG_DOD": "Orientering om dødsfall",
    "INNLEGGELSESRAPPORT": "Innleggelsesrapport",
    "HELSEOPPL_SOKNAD": "Helseopplysninger",
    "UTSKRIVNINGSRAPPORT": "Utskrivningsrapport",
    "HELSEOPPLYSNINGER_LEGE": "Helseopplysninger til lege",
    "MEDISINSKE_OPPLYSNINGER": "Medisinske opplysninger",
    "ORIENTERING_TJENESTETILBUD": "Orientering om tjenestetilbud",
    "DIALOG_FORESPORSEL": "Forespørsel",
    "DIALOG_SVAR": "Svar på forespørsel",
    "DIALOG_NOTAT": "Notat",
    "DIALOG_HELSEFAGLIG": "Helsefaglig dialog",
    "DIALOG_AVVIK": "Tilbakemelding om feil i mottatt melding",
    "APPREC": "Applikasjonskvittering",
}


class MessageType(_Coded):
    """List 8279 Meldingens funksjon: the message types the hub reads or writes."""

    LOG_INNLAGT = "LOG_INNLAGT"
    LOG_UTSKRIVNINGSKLAR = "LOG_UTSKRIVNINGSKLAR"
    LOG_AVMELDING = "LOG_AVMELDING"
    LOG_UTSKREVET = "LOG_UTSKREVET"
    LOG_DOD = "LOG_DOD"
    DIALOG_HELSEFAGLIG = "DIALOG_HELSEFAGLIG"
    APPREC = "APPREC"

    @classmethod
    def _texts(cls) -> dict[str, str]:
        return MESSAGE_TYPE_TEXTS

    @classmethod
    def list_number(cls) -> int:
        return 8279


# Pasientlogistikk: the body element (choice in p1:Pasientlogistikk) of each message type.
PLO_BODY_ELEMENTS: Final[dict[str, str]] = {
    MessageType.LOG_INNLAGT: "MeldingInnlagtPasient",
    MessageType.LOG_UTSKRIVNINGSKLAR: "MeldingUtskrivningsklarPasient",
    MessageType.LOG_AVMELDING: "AvmeldingUtskrivningsklarPasient",
    MessageType.LOG_UTSKREVET: "MeldingOmUtskrevetPasient",
    MessageType.LOG_DOD: "OrienteringOmDod",
}


# --- 8221 Feilmeldinger for applikasjonskvittering - generelle ---------------------------------
APPREC_ERROR_TEXTS: Final = {
    "E10": "Ugyldig meldingsidentifikator",
    "E20": "Lege finnes ikke",
    "E21": "Mottaker finnes ikke",
    "E30": "Pasientens fødselsnummer mangler",
    "E31": "Pasientens fødselsnummer er feil",
    "E32": "Pasientens navn mangler",
    "E33": "Pasientens etternavn mangler",
    "E34": "Pasientens fornavn mangler",
    "E35": "Pasienten finnes ikke i mottakersystemet",
    "E36": "Pasientopplysninger er utilstrekkelige",
    "E53": "Pasientens fødselsnummer eller D-nummer finnes ikke registrert i Folkeregisteret.",
    "E54": "Pasientens fødselsnummer er ikke registrert i mottagersystemet",
    "S01": "Feil på signatur",
    "S02": "Ugyldig sertifikat",
    "S03": "Tilbaketrukket sertifikat",
    "S99": "Annen feil på signatur eller sertifikat",
    "T01": "Ikke XML / ikke 'well formed' / uleselig",
    "T02": "XML validerer ikke",
    "T10": "Støtter ikke meldingsformatet",
    "T99": "Annen feil på format",
    "X99": "Annen feil",
}


class AppRecErrorCode(_Coded):
    """List 8221: the general AppRec error codes, with their official texts (DN)."""

    E10 = "E10"
    E20 = "E20"
    E21 = "E21"
    E30 = "E30"
    E31 = "E31"
    E32 = "E32"
    E33 = "E33"
    E34 = "E34"
    E35 = "E35"
    E36 = "E36"
    E53 = "E53"
    E54 = "E54"
    S01 = "S01"
    S02 = "S02"
    S03 = "S03"
    S99 = "S99"
    T01 = "T01"
    T02 = "T02"
    T10 = "T10"
    T99 = "T99"
    X99 = "X99"

    @classmethod
    def _texts(cls) -> dict[str, str]:
        return APPREC_ERROR_TEXTS

    @classmethod
    def list_number(cls) -> int:
        return 8221


# --- 8258 Status for mottak av melding (AppRec Status) ----------------------------------------
class AppRecStatus(_Coded):
    """List 8258: 1 OK, 2 Avvist, 3 OK with errors in a part (only for behandlerkrav)."""

    OK = "1"
    REJECTED = "2"
    OK_ERROR_IN_PART = "3"

    @classmethod
    def _texts(cls) -> dict[str, str]:
        return {"1": "OK", "2": "Avvist", "3": "OK, feil i delmelding"}

    @classmethod
    def list_number(cls) -> int:
        return 8258


# --- 7309 Forsendelsesstatus (PLO InformasjonOmForsendelsen) -----------------------------------
class ShipmentStatus(_Coded):
    """List 7309 Forsendelsesstatus: N new, M change, A addition, C cancellation, H history."""

    NEW = "N"
    CHANGE = "M"
    ADDITION = "A"
    CANCELLATION = "C"
    HISTORY = "H"

    @classmethod
    def _texts(cls) -> dict[str, str]:
        return {"N": "Ny", "M": "Endring", "A": "Tillegg", "C": "Kansellering", "H": "Historikk"}

    @classmethod
    def list_number(cls) -> int:
        return 7309


# --- 9121 Hendelseskode for logistikkopplysninger (TidsfestetHendelse/Hendelsekode) ------------
EVENT_TEXTS: Final = {
    1: "Pasient innlagt",
    2: "Pasient utskrevet",
    3: "Pasient utskrivningsklar",
    4: "Avmelding av utskrivningsklar pasient",
    13: "Pasienten er død",
}
EVENT_OID: Final = oid(9121)


class EventCode(IntEnum):
    """List 9121: what a TidsfestetHendelse (timed event) records."""

    ADMITTED = 1
    DISCHARGED = 2
    READY = 3
    WITHDRAWN = 4
    DIED = 13

    @property
    def text(self) -> str:
        return EVENT_TEXTS[self.value]


# --- 8408 Sted (UtskrevetTil/UtTil: where the patient was discharged to) -----------------------
DESTINATION_TEXTS: Final = {
    "1": "Bosted/arbeidssted",
    "2": "Skade- eller funnsted",
    "3": "Annen helseinstitusjon innen spesialisthelsetjenesten",
    "5": "Institusjon i utlandet",
    "7": "Annen (somatisk) enhet ved egen helseinstitusjon",
    "8": "Annen enhet (ikke somatikk) ved egen helseinstitusjon",
    "10": "Pasienthotell",
    "11": "Sykehjem/aldershjem/helsehus",
    "21": "Kommunal akutt døgnenhet (KAD)",
    "88": "Annet",
    "98": "Ukjent",
    "99": "Sted identifisert ved rapportering av attributt Til/Fra institusjon",
}
DESTINATION_OID: Final = oid(8408)


# --- 8431 Uttilstand (UtskrevetTil/Uttilstand) -------------------------------------------------
class DischargeCondition(_Coded):
    """List 8431 Uttilstand: the patient's state at discharge; 2 means the patient died."""

    ALIVE = "1"
    DEAD = "2"
    SUICIDE = "3"

    @classmethod
    def _texts(cls) -> dict[str, str]:
        return {"1": "Som levende", "2": "Som død", "3": "Suicid"}

    @classmethod
    def list_number(cls) -> int:
        return 8431


# --- 7322 Tema for helsefaglig dialog (Dialogmelding 1.1 Notat/TemaKodet) ----------------------
class DialogTheme(_Coded):
    """List 7322: 7 is the municipality's answer to a discharge-ready message."""

    ENQUIRY_ABOUT_PATIENT = "6"
    DISCHARGE_READY_ANSWER = "7"
    REQUEST_HEALTH_INFORMATION = "8"
    REQUEST_MEDICATION_INFORMATION = "9"

    @classmethod
    def _texts(cls) -> dict[str, str]:
        return {
            "6": "Henvendelse om pasient",
            "7": "Tilbakemelding på mottak av utskrivningsklar pasient",
            "8": "Forespørsel om helseopplysninger",
            "9": "Forespørsel om legemiddelopplysninger",
        }

    @classmethod
    def list_number(cls) -> int:
        return 7322


# --- 8116 ID-type for personer, 9051 ID-typer for organisatoriske enheter ----------------------
PERSON_ID_TYPE_TEXTS: Final = {
    "FNR": "Fødselsnummer",
    "DNR": "D-nummer",
    "FHN": "Felles hjelpenummer",
    "HNR": "H-nummer",
    "HPR": "HPR-nummer",
}
PERSON_ID_TYPE_OID: Final = oid(8116)
HER_TYPE: Final = "HER"
HER_TYPE_TEXT: Final = "HER-id"
ORG_ID_TYPE_OID: Final = oid(9051)

# --- 8112 Rolle til mottaker (AppRec Sender/Role); AppRec Receiver/Role is fixed "AVS" ---------
ROLE_PRIMARY: Final = ("PRIM", "Primærmottaker")
ROLE_SENDER: Final = ("AVS", "Avsender")

# --- 3101 Kjønn (Patient/Sex) ------------------------------------------------------------------
SEX_TEXTS: Final = {"0": "Ikke kjent", "1": "Mann", "2": "Kvinne", "9": "Ikke spesifisert"}
