"""What changed between two revisions' metrics or params, with DVC's semantics. Pure.

``diff`` is ``dvc metrics diff`` and ``dvc params diff`` (``dvc.utils.diff``): every key of
either side, file by file; a key one side lacks is ``null`` there; the change is given where
both values are numbers; unchanged keys only with ``with_unchanged`` (``--all``). Where DVC
subtracts floats (``0.95 - 0.9`` is ``0.04999999999999993``), the change here is the
difference of the numbers as the files write them (``0.05``), and the relative change is the
change over the old value's magnitude. A file one side could not read is not a file whose keys
were all removed: its values are ``UNKNOWN`` there, never a change.
"""

from __future__ import annotations

import dataclasses
from decimal import ROUND_HALF_EVEN, Context, Decimal, InvalidOperation
from typing import Any


class _Unknown:
    """A value one side could not read (a file not in git there, unparsable, not pulled)."""

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Any = _Unknown()


@dataclasses.dataclass(frozen=True)
class Row:
    """One key of a diff. OLD and NEW are values as read (None: the key is not there, as DVC
    writes ``null``; UNKNOWN: the file could not be read there)."""

    file: str
    key: str
    old: Any
    new: Any

    @property
    def changed(self) -> bool:
        return self.old is UNKNOWN or self.new is UNKNOWN or not _same(self.old, self.new)

    @property
    def change(self) -> Decimal | None:
        """NEW - OLD, exactly as the files write the numbers; None unless both are numbers."""
        old, new = number(self.old), number(self.new)
        return None if old is None or new is None else new - old

    @property
    def relative(self) -> Decimal | None:
        """The change over |OLD| (0.1 is +10 %); None when there is none or OLD is 0."""
        change, old = self.change, number(self.old)
        if change is None or old is None or old == 0:
            return None
        return change / abs(old)

    def as_dict(self) -> dict[str, Any]:
        """As ``dvc metrics diff --json`` gives one key (``diff`` only for numbers), with the
        change as the files write it and the relative change."""
        data: dict[str, Any] = {"old": _json(self.old), "new": _json(self.new)}
        change = self.change
        if change is not None:
            data["change"] = signed(change)  # as the files write the numbers
            both_ints = isinstance(self.old, int) and isinstance(self.new, int)
            data["diff"] = int(change) if both_ints else float(change)
            relative = self.relative
            data["relative"] = None if relative is None else float(relative)
        return data


def _same(old: Any, new: Any) -> bool:
    # DVC compares one-item lists by their item
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new) == 1:
        return _same(old[0], new[0])
    return bool(old == new)


def _json(value: Any) -> Any:
    return None if value is UNKNOWN else value


def number(value: Any) -> Decimal | None:
    """VALUE as the decimal number its file writes (``repr`` of the float read, which is how
    the value is shown), or None when it is no number (booleans are not numbers here)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        found = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    except InvalidOperation:
        return None
    return found if found.is_finite() else None


def diff(
    old: dict[str, dict[str, Any] | None],
    new: dict[str, dict[str, Any] | None],
    with_unchanged: bool,
) -> list[Row]:
    """Rows of every key that changed between OLD and NEW (file -> flattened values; None: the
    file could not be read), every key with WITH_UNCHANGED; by file, then key."""
    rows: list[Row] = []
    for file in sorted({*old, *new}):
        before, after = old.get(file, {}), new.get(file, {})
        keys = dict.fromkeys([*(before or {}), *(after or {})])
        for key in sorted(keys):
            row = Row(
                file,
                key,
                UNKNOWN if before is None else before.get(key),
                UNKNOWN if after is None else after.get(key),
            )
            if with_unchanged or row.changed:
                rows.append(row)
    return rows


def rounded(value: Decimal, precision: int | None) -> Decimal:
    """VALUE to at most PRECISION digits after the decimal point (half to even, without the
    zeros rounding leaves at the end: DVC prints round(0.7402, 3) as 0.74), or as it is
    (also a whole number written without decimals: DVC rounds floats only)."""
    exponent = value.as_tuple().exponent
    if precision is None or not isinstance(exponent, int) or exponent >= 0:
        return value
    # as many digits as the rounded number has: the default context's 28 would refuse more
    context = Context(prec=max(28, value.adjusted() + precision + 2), rounding=ROUND_HALF_EVEN)
    return trimmed(value.quantize(Decimal(1).scaleb(-precision), context=context))


def trimmed(value: Decimal) -> Decimal:
    """VALUE without zeros at the end of its decimals: 0.0100 is 0.01, 150.00 is 150, 0.000
    is 0; its digits otherwise as they are (no arithmetic context rounds them)."""
    sign, digits, exponent = value.as_tuple()
    if not isinstance(exponent, int) or exponent >= 0:
        return value
    kept = list(digits)
    while exponent < 0 and len(kept) > 1 and kept[-1] == 0:
        kept.pop()
        exponent += 1
    if kept == [0]:
        exponent = 0
    return Decimal((sign, tuple(kept), exponent))


def plain(value: Decimal) -> str:
    """A decimal as a number is written: ``0.05``, ``-3``, ``1e-09`` (an exponent only for
    very small or large magnitudes)."""
    if value == 0:
        return format(value.copy_abs(), "f")
    if -7 < value.adjusted() < 16:
        return format(value, "f")
    return str(value).lower().replace("e+", "e")


def signed(value: Decimal, precision: int | None = None) -> str:
    """A change with its sign: ``+0.05``, ``-3``, ``0`` (no change is 0, whatever the
    decimals of the numbers compared: DVC's 0.0, not 0.000000000000000; and 0.8475 - 0.8575
    is -0.01, not -0.0100)."""
    value = trimmed(rounded(value, precision))
    if value == 0:
        return "0"
    text = plain(value)
    return text if value <= 0 else f"+{text}"


def percent(value: Decimal, precision: int | None = None) -> str:
    """A relative change as a signed percentage, to at most 2 decimals (or PRECISION):
    ``+5.56%``, ``+150%``."""
    shown = rounded(value * 100, 2 if precision is None else precision)
    return f"{signed(shown)}%"


def shown(value: Any, precision: int | None) -> Any:
    """A value as a table shows it: a number rounded to PRECISION decimals when one is given,
    anything else as it is."""
    found = number(value)
    if precision is None or found is None:
        return value
    return plain(rounded(found, precision))
