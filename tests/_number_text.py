"""The oracle of how probnn spells a number written as text in a text column or a label."""

from __future__ import annotations

# numbers written several ways: the same value twice ("2.5", "2.50"; "0", "0.0"), leading
# zeros, a sign, an exponent
NUMBERS = ["0", "1", "12", "2.5", "2.50", "0.0", "007", "-3", "1e3"]


def number_text(text: str) -> str:
    """A number's spelling by Python's ``int`` / ``float`` of its text; other text as written."""
    try:
        x = float(text)
    except ValueError:
        return text
    return str(int(x)) if x.is_integer() else repr(x)
