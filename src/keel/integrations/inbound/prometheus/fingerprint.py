"""An alert's identity exactly as Prometheus and Alertmanager compute it (prometheus/common ``model``).

``LabelSet.Fingerprint()``: FNV-1a 64-bit over the label names in byte order, each name and each
value followed by the separator byte 0xff, printed as 16 lowercase hex digits
(``Fingerprint.String()``). Computing it here gives an alert posted by Prometheus directly the same
identity as the one Alertmanager writes into its webhook, so both paths meet on one alert record.
"""

import re
from collections.abc import Mapping
from typing import Final

_OFFSET_BASIS: Final = 14695981039346656037  # FNV-1a 64 offset basis; also the empty set's fingerprint
_PRIME: Final = 1099511628211
_MASK: Final = 2**64 - 1
_SEPARATOR: Final = b"\xff"
_LONE_SURROGATE: Final = re.compile("[\ud800-\udfff]")


def fingerprint(labels: Mapping[str, str]) -> str:
    """``model.LabelSet(labels).Fingerprint().String()``: AlwaysFiring's labels → ``28035806cce32950``.

    Names are sorted by their UTF-8 bytes, as Go sorts strings.
    """
    data = b"".join(_utf8(part) + _SEPARATOR for name in sorted(labels, key=_utf8) for part in (name, labels[name]))
    value = _OFFSET_BASIS
    for byte in data:
        value = ((value ^ byte) * _PRIME) & _MASK
    return f"{value:016x}"


def _utf8(text: str) -> bytes:
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        # JSON may carry a lone surrogate ("\ud800"); Go's decoder turns it into U+FFFD, so do we.
        return _LONE_SURROGATE.sub("\ufffd", text).encode("utf-8")
