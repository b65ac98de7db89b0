"""GS1 identifiers: GTIN-8/12/13/14 and GLN, with their mod-10 check digit."""

from __future__ import annotations

from .errors import InvalidIdentifier

GTIN_LENGTHS = (8, 12, 13, 14)
GLN_LENGTH = 13


def check_digit(body: str) -> int:
    """GS1 mod-10 check digit of `body` (the digits before the check digit).

    Weights alternate 3,1,3,... starting from the rightmost digit of the body.
    """
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10


def _has_valid_check_digit(code: str) -> bool:
    return code.isdigit() and check_digit(code[:-1]) == int(code[-1])


def is_gtin(code: str) -> bool:
    return len(code) in GTIN_LENGTHS and _has_valid_check_digit(code)


def is_gln(code: str) -> bool:
    return len(code) == GLN_LENGTH and _has_valid_check_digit(code)


def validate_gtin(code: str, field: str = "gtin") -> str:
    """Return the GTIN as GTIN-14 (zero-padded), or raise InvalidIdentifier naming `field`."""
    if not code.isdigit() or len(code) not in GTIN_LENGTHS:
        raise InvalidIdentifier(
            f"{field} must be 8, 12, 13 or 14 digits, got {code!r}", field=field
        )
    if not _has_valid_check_digit(code):
        expected = check_digit(code[:-1])
        raise InvalidIdentifier(
            f"{field} {code} has check digit {code[-1]}, expected {expected}", field=field
        )
    return code.zfill(14)


def validate_gln(code: str, field: str = "gln") -> str:
    if not code.isdigit() or len(code) != GLN_LENGTH:
        raise InvalidIdentifier(f"{field} must be 13 digits, got {code!r}", field=field)
    if not _has_valid_check_digit(code):
        expected = check_digit(code[:-1])
        raise InvalidIdentifier(
            f"{field} {code} has check digit {code[-1]}, expected {expected}", field=field
        )
    return code


def with_check_digit(body: str) -> str:
    return body + str(check_digit(body))


def check_digit_problem(code: str, lengths: tuple[int, ...] = GTIN_LENGTHS) -> str | None:
    """Why a code shaped like a GS1 key (all digits, one of `lengths`) is not one: its check
    digit, or None when it is not shaped like one or is valid. Tells a mistyped GTIN or GLN
    apart from a code that was never meant to be one."""
    if not code.isdigit() or len(code) not in lengths or _has_valid_check_digit(code):
        return None
    return f"check digit {code[-1]} is wrong, expected {check_digit(code[:-1])}"
