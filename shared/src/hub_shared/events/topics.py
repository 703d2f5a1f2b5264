"""The public topics. Keys are stay ids, so one stay's events stay ordered on one partition."""

ADMISSION = "admission.v1"
DISCHARGE = "discharge.v1"
HOUSING = "housing.v1"
BILLING = "billing.v1"

ALL = (ADMISSION, DISCHARGE, HOUSING, BILLING)


def dlq(topic: str) -> str:
    """Where poison events of a topic go, with the error in the headers."""
    return f"{topic}.dlq"


def with_dlqs() -> list[str]:
    """Every topic the hub uses, including the dead-letter topics."""
    return [t for topic in ALL for t in (topic, dlq(topic))]
