"""Tests for the Vietnamese text, name and date helpers."""

from __future__ import annotations

import random
import re
import unicodedata
from datetime import date

import pytest

from cosodang.core import vn

# --- fold ------------------------------------------------------------------------------------


def test_fold_lowercases_and_strips_tone_marks() -> None:
    assert vn.fold("Nguyễn Thị Hà") == "nguyen thi ha"


def test_fold_maps_d_with_stroke_to_d() -> None:
    assert vn.fold("Đặng Đức Đạt") == "dang duc dat"


def test_fold_collapses_and_strips_whitespace() -> None:
    assert vn.fold("  Trần \t Văn\u00a0 Bình \n") == "tran van binh"


def test_fold_handles_decomposed_input() -> None:
    assert vn.fold(unicodedata.normalize("NFD", "Lê Quý Đôn")) == "le quy don"


def test_fold_of_empty_string_is_empty() -> None:
    assert vn.fold("") == ""


def test_fold_drops_words_made_only_of_marks() -> None:
    assert vn.fold("a \u0301 b") == "a b"


def test_fold_folds_every_vietnamese_letter_to_ascii() -> None:
    letters = "aàảãáạăằẳẵắặâầẩẫấậeèẻẽéẹêềểễếệiìỉĩíịoòỏõóọôồổỗốộơờởỡớợuùủũúụưừửữứựyỳỷỹýỵđ"
    folded = vn.fold(letters + letters.upper())
    assert folded.isascii()
    assert set(folded) == set("aeiouyd")


def test_fold_matches_the_nfd_reference_on_random_text() -> None:
    rng = random.Random(20240601)
    alphabet = (
        "aàảãáạăằẳẵắặâầẩẫấậeèẻẽéẹêềểễếệoòỏõóọôồổỗốộơờởỡớợuùủũúụưừửữứựđĐ"
        "AÀẢÃÁẠĂẰẲẴẮẶÂẦẨẪẤẬBCDEGHIKLMNOPQRSTUVXY0123456789 '-\t\u00a0"
        "\u0301\u0300\u0323ÆØßİçñüöÿЖж漢\u20d7"
    )
    for _ in range(2000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
        assert vn.fold(text) == vn._fold_reference(text), repr(text)


# --- split_name ------------------------------------------------------------------------------


def test_split_name_returns_family_middle_given() -> None:
    assert vn.split_name("Nguyễn Thị Minh Khai") == ("Nguyễn", "Thị Minh", "Khai")


def test_split_name_with_two_words_has_empty_middle() -> None:
    assert vn.split_name("Nguyễn Hà") == ("Nguyễn", "", "Hà")


def test_split_name_with_one_word_is_given_name_only() -> None:
    assert vn.split_name("Hà") == ("", "", "Hà")


def test_split_name_of_blank_string_is_all_empty() -> None:
    assert vn.split_name("   ") == ("", "", "")


def test_split_name_normalises_whitespace_and_nfc() -> None:
    family, middle, given = vn.split_name(unicodedata.normalize("NFD", " Lê  Văn\tÁnh "))
    assert (family, middle, given) == ("Lê", "Văn", "Ánh")
    assert unicodedata.is_normalized("NFC", given)


# --- name_sort_key ---------------------------------------------------------------------------


def key(name: str) -> str:
    """Shorthand for the key under test."""
    return vn.name_sort_key(name)


def test_name_key_contains_only_lowercase_ascii_letters_and_digits() -> None:
    for name in ["Nguyễn Thị Hà", "H'Hen Niê", "Trần-Lê Văn 2 Ánh", "ĐỖ THỊ DUNG", "Ю Жи"]:
        assert re.fullmatch(r"[0-9a-z]*", key(name)), name


def test_name_key_is_at_most_120_characters() -> None:
    assert len(key(" ".join(["Nguyễn"] * 40))) == 120


def test_name_key_sorts_by_given_name_first() -> None:
    assert key("Nguyễn Văn An") < key("Trần Thị Bình")


def test_name_key_sorts_level_tone_before_rising_tone() -> None:
    assert key("Lê Văn Anh") < key("Lê Văn Ánh")


def test_name_key_follows_the_dictionary_tone_order() -> None:
    # ngang, huyền, hỏi, ngã, sắc, nặng
    tones = ["Ma", "Mà", "Mả", "Mã", "Má", "Mạ"]
    assert sorted(tones, key=key) == tones


def test_name_key_letters_outrank_tones() -> None:
    assert key("Lê Văn Ánh") < key("Lê Văn Bình")


def test_name_key_puts_d_before_d_with_stroke() -> None:
    assert key("Đỗ Thị Dung") < key("Đỗ Thị Đức")
    assert key("Nguyễn Văn Dũng") < key("Lê Văn Đức")


def test_name_key_orders_a_breve_a_circumflex_before_b() -> None:
    assert key("a") < key("ă") < key("â") < key("b")


def test_name_key_orders_the_modified_vowels() -> None:
    vowels = ["e", "ê", "g", "o", "ô", "ơ", "p", "u", "ư", "v"]
    assert sorted(vowels, key=key) == vowels


def test_name_key_sorts_missing_middle_name_first() -> None:
    assert key("Nguyễn Hà") < key("Nguyễn Văn Hà")


def test_name_key_sorts_shorter_middle_name_before_longer_one() -> None:
    assert key("Lê Thị Hà") < key("Lê Thị Minh Hà")


def test_name_key_sorts_shorter_syllable_before_its_extension() -> None:
    assert key("Lê Văn An") < key("Lê Văn Anh")


def test_name_key_lets_family_name_decide_last() -> None:
    assert key("Lê Văn Hà") < key("Trần Văn Hà")


def test_name_key_is_case_insensitive() -> None:
    assert key("NGUYỄN THỊ HÀ") == key("nguyễn thị hà") == key("Nguyễn Thị Hà")


def test_name_key_treats_decomposed_and_composed_input_alike() -> None:
    assert key(unicodedata.normalize("NFD", "Phạm Ngọc Ẩn")) == key("Phạm Ngọc Ẩn")


def test_name_key_drops_apostrophes_and_digits() -> None:
    assert key("H'Hen Niê") == key("HHen Niê")
    assert key("Lê Văn 2 An") == key("Lê Văn An")


def test_name_key_sorts_a_realistic_list_in_vietnamese_order() -> None:
    expected = [
        "Nguyễn Văn An",
        "Lê Thị Anh",
        "Trần Văn Anh",
        "Phạm Thị Ánh",
        "Hoàng Văn Bình",
        "Vũ Đức Chính",
        "Đỗ Thị Dung",
        "Nguyễn Hữu Dũng",
        "Bùi Minh Đức",
        "Lê Hà",
        "Nguyễn Hà",
        "Nguyễn Thị Hà",
        "Đặng Thị Thu Hà",
        "Ngô Quang Hùng",
        "Trần Xuân Ơn",
    ]
    shuffled = expected[:]
    random.Random(7).shuffle(shuffled)
    keys = sorted(key(n) for n in shuffled)
    assert keys == [key(n) for n in expected]
    assert sorted(shuffled, key=key) == expected


# --- dates -----------------------------------------------------------------------------------


def test_format_date_is_day_month_year() -> None:
    assert vn.format_date(date(2024, 3, 5)) == "05/03/2024"


def test_format_date_of_none_is_empty() -> None:
    assert vn.format_date(None) == ""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("05/03/2024", date(2024, 3, 5)),
        ("5/3/2024", date(2024, 3, 5)),
        (" 29/02/2024 ", date(2024, 2, 29)),
        ("2024-03-05", date(2024, 3, 5)),
    ],
)
def test_parse_date_accepts_vietnamese_and_iso_forms(text: str, expected: date) -> None:
    assert vn.parse_date(text) == expected


@pytest.mark.parametrize(
    "text", ["", "31/02/2024", "2024/03/05", "05-03-2024", "5/3/24", "2024-3-5", "١/١/٢٠٢٤"]
)
def test_parse_date_rejects_other_input_with_vietnamese_message(text: str) -> None:
    with pytest.raises(ValueError, match="Ngày không hợp lệ") as info:
        vn.parse_date(text)
    assert str(info.value) == f"Ngày không hợp lệ: «{text}» (định dạng dd/mm/yyyy)"


def test_parse_date_round_trips_format_date() -> None:
    d = date(1989, 10, 1)
    assert vn.parse_date(vn.format_date(d)) == d


# --- identifiers -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("001089012345", True),
        ("00108901234", False),
        ("0010890123456", False),
        ("00108901234a", False),
        (" 01089012345", False),
        ("٠٠١٠٨٩٠١٢٣٤٥", False),
        ("", False),
    ],
)
def test_is_twelve_digits(value: str, expected: bool) -> None:
    assert vn.is_twelve_digits(value) is expected


# --- month arithmetic ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2023, 1, 31), 1, date(2023, 2, 28)),
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2024, 5, 15), 12, date(2025, 5, 15)),
        (date(2024, 11, 30), 3, date(2025, 2, 28)),
        (date(2024, 3, 31), -1, date(2024, 2, 29)),
        (date(2024, 1, 15), -13, date(2022, 12, 15)),
        (date(2024, 1, 15), 0, date(2024, 1, 15)),
    ],
)
def test_add_months_clamps_to_month_end(start: date, months: int, expected: date) -> None:
    assert vn.add_months(start, months) == expected


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (date(2006, 5, 10), date(2024, 5, 10), 216),
        (date(2006, 5, 10), date(2024, 5, 9), 215),
        (date(2024, 1, 31), date(2024, 2, 29), 1),
        (date(2024, 1, 31), date(2024, 2, 28), 0),
        (date(2024, 1, 15), date(2024, 1, 15), 0),
        (date(2024, 3, 1), date(2024, 1, 15), -1),
    ],
)
def test_full_months_between(start: date, end: date, expected: int) -> None:
    assert vn.full_months_between(start, end) == expected


def test_full_months_between_agrees_with_add_months() -> None:
    rng = random.Random(3)
    for _ in range(500):
        start = date.fromordinal(rng.randint(730_000, 740_000))
        end = date.fromordinal(start.toordinal() + rng.randint(0, 4000))
        n = vn.full_months_between(start, end)
        assert vn.add_months(start, n) <= end < vn.add_months(start, n + 1)
