"""Physical sizes as the user types them ("60cm", "23.6in", "600mm") and their pixel counts."""

from __future__ import annotations

import re

from engine.errors import UserInputError

MM_PER_UNIT = {"mm": 1.0, "cm": 10.0, "in": 25.4, "inch": 25.4, '"': 25.4}
_LENGTH = re.compile(r"^\s*([0-9]+(?:[.,][0-9]+)?)\s*(mm|cm|in|inch|\")\s*$", re.IGNORECASE)


def parse_length_mm(text: str, field: str = "--width") -> float:
    """Parse a physical length into millimetres; the error names the flag and the format."""
    m = _LENGTH.match(str(text))
    if not m:
        raise UserInputError(
            f"expected a physical length such as 60cm, 600mm or 23.6in, got {text!r}", field=field
        )
    value = float(m.group(1).replace(",", "."))
    if value <= 0:
        raise UserInputError(f"the length must be positive, got {text!r}", field=field)
    return value * MM_PER_UNIT[m.group(2).lower()]


def mm_to_px(mm: float, dpi: float) -> int:
    """Pixels for a length at a resolution (60 cm at 300 DPI = 7087 px)."""
    return max(1, round(mm / 25.4 * dpi))


def dpi_to_ppm(dpi: float) -> int:
    """Pixels per metre, the unit PNG's pHYs chunk stores."""
    return round(dpi / 0.0254)


def check_dpi(dpi: float, field: str = "--dpi") -> float:
    if not (10 <= dpi <= 4800):
        raise UserInputError(
            f"expected a resolution between 10 and 4800 DPI, got {dpi}", field=field
        )
    return float(dpi)
