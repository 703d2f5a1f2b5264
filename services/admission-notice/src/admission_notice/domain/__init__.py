from admission_notice.domain.model import (
    AdmissionNotice,
    Change,
    DispatchStatus,
    Outcome,
    Stay,
    StayKey,
    StayStatus,
    apply_notice,
)

__all__ = [
    "AdmissionNotice",
    "Change",
    "DispatchStatus",
    "Outcome",
    "Stay",
    "StayKey",
    "StayStatus",
    "apply_notice",
]
