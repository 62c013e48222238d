"""The check digits of card numbers (Luhn), Chinese resident IDs (ISO 7064 MOD 11-2) and IBANs
(ISO 13616 MOD 97-10). Each takes the characters as written and returns whether they check."""
from __future__ import annotations

_CN_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CN_ID_CHECK = "10X98765432"  # the check character for sum mod 11 = 0, 1, 2, ...


def luhn_valid(digits: str) -> bool:
    """Luhn's check (every second digit from the right doubled); only digits, at least 2."""
    if len(digits) < 2 or not digits.isdigit():
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def cn_id_valid(text: str) -> bool:
    """An 18-character Chinese resident ID: 17 digits and a check digit or X (GB 11643-1999)."""
    text = text.upper()
    if len(text) != 18 or not text[:17].isdigit() or not (text[17].isdigit() or text[17] == "X"):
        return False
    total = sum(int(ch) * w for ch, w in zip(text[:17], _CN_ID_WEIGHTS))
    return _CN_ID_CHECK[total % 11] == text[17]


def iban_valid(text: str) -> bool:
    """An IBAN (spaces removed): country letters, two check digits, 11-30 letters or digits, MOD 97 = 1."""
    text = text.upper()
    if not (15 <= len(text) <= 34) or not text[:2].isalpha() or not text[2:4].isdigit() or not text.isalnum():
        return False
    if not text.isascii():
        return False
    moved = text[4:] + text[:4]
    number = "".join(str(int(ch, 36)) for ch in moved)
    return int(number) % 97 == 1
