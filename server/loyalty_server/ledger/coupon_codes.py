"""Coupon codes: generated, normalised, hashed, masked. Pure functions, no I/O.

A code is 80 random bits (`secrets`) written as 16 Crockford base32 characters, grouped for reading
aloud at a till: "LOY-7KQ2-M9XD-4TRB-HV3N". Crockford's alphabet has no I, L, O or U, so a code read
back with a confusable (O for 0, I or L for 1), in lower case, with or without dashes or the "LOY"
prefix still finds its coupon. The database keeps only the SHA-256 of the normalised code and its
last characters (a hint): the code itself is a bearer secret, like a password.
"""

from __future__ import annotations

import hashlib
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U
RANDOM_BITS = 80
BODY_CHARS = RANDOM_BITS // 5  # 5 bits a character
GROUP_CHARS = 4
PREFIX = "LOY"
HINT_CHARS = 4  # shown to tell a member's coupons apart; 20 bits, far from enough to use one
CODE_INPUT_LENGTH_MAX = 64  # longer input is not a code: refused before any work
_CONFUSABLES = str.maketrans({"O": "0", "I": "1", "L": "1"})
_SEPARATORS = str.maketrans("", "", "- \t")
_PREFIX_READ = PREFIX.translate(_CONFUSABLES)  # "LOY" once its confusables are mapped: "10Y"

assert len(ALPHABET) == 32
assert BODY_CHARS * 5 == RANDOM_BITS
assert BODY_CHARS % GROUP_CHARS == 0
assert HINT_CHARS == GROUP_CHARS  # the mask shows the last group


def new_code() -> str:
    """A fresh code in its display form, e.g. "LOY-7KQ2-M9XD-4TRB-HV3N"."""
    value = secrets.randbits(RANDOM_BITS)
    body = "".join(ALPHABET[(value >> (5 * index)) & 31] for index in reversed(range(BODY_CHARS)))
    return display(body)


def normalize(code: str) -> str | None:
    """The canonical 16-character body of a code as typed, or None when it cannot be one."""
    if len(code) > CODE_INPUT_LENGTH_MAX:
        return None
    text = code.translate(_SEPARATORS).upper().translate(_CONFUSABLES)
    if len(text) == len(_PREFIX_READ) + BODY_CHARS and text.startswith(_PREFIX_READ):
        text = text[len(_PREFIX_READ) :]
    if len(text) != BODY_CHARS or any(char not in ALPHABET for char in text):
        return None
    return text


def display(body: str) -> str:
    """The grouped form of a normalised body."""
    assert len(body) == BODY_CHARS, body
    groups = [body[start : start + GROUP_CHARS] for start in range(0, BODY_CHARS, GROUP_CHARS)]
    return "-".join([PREFIX, *groups])


def digest(body: str) -> str:
    """What the database stores and looks up: hex SHA-256 of the normalised body."""
    assert len(body) == BODY_CHARS, body
    return hashlib.sha256(body.encode("ascii")).hexdigest()


def hint(body: str) -> str:
    return body[-HINT_CHARS:]


def masked(code_hint: str) -> str:
    """The display form with everything but the hint hidden, e.g. "LOY-****-****-****-HV3N"."""
    hidden = ["*" * GROUP_CHARS] * (BODY_CHARS // GROUP_CHARS - 1)
    return "-".join([PREFIX, *hidden, code_hint])
