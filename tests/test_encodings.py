"""Encoding detection and the legacy Vietnamese encodings (TCVN3, VNI, cp1258).

Legacy files are generated at test time from a real report with encoders written
here from the published layouts, independently of the decoder's tables.
"""
from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from ingest.encodings import (
    DecodeError,
    decode_bytes,
    fix_legacy_text,
    looks_like_tcvn3,
    looks_like_vni,
    tcvn3_to_unicode,
    vietnamese_score,
    vni_to_unicode,
)
from ingest.readers import ReadError, read_file

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
SAMPLE = (CORPUS / "001_4f6835b70005be68.txt").read_text(encoding="utf-8")[:1500]

_GRAVE, _HOOK, _TILDE, _ACUTE, _DOT = "\u0300", "\u0309", "\u0303", "\u0301", "\u0323"
_TONE_MARKS = (_GRAVE, _HOOK, _TILDE, _ACUTE, _DOT)


def _split_tone(ch: str) -> tuple[str, str]:
    """'ấ' -> ('â', acute): the letter without its tone mark, and the tone mark ('' if none)."""
    d = unicodedata.normalize("NFD", ch)
    tone = "".join(c for c in d if c in _TONE_MARKS)
    return unicodedata.normalize("NFC", "".join(c for c in d if c not in _TONE_MARKS)), tone


def _other_char(ch: str) -> bytes:
    """Non-Vietnamese characters (“ ” – …) are stored as cp1252 bytes in legacy files."""
    return ch.encode("cp1252")


# TCVN3 (ABC) lower-case letters: base -> bytes for (no tone, grave, hook, tilde, acute, dot).
_ABC = {
    "a": b"a\xb5\xb6\xb7\xb8\xb9", "ă": b"\xa8\xbb\xbc\xbd\xbe\xc6", "â": b"\xa9\xc7\xc8\xc9\xca\xcb",
    "e": b"e\xcc\xce\xcf\xd0\xd1", "ê": b"\xaa\xd2\xd3\xd4\xd5\xd6", "i": b"i\xd7\xd8\xdc\xdd\xde",
    "o": b"o\xdf\xe1\xe2\xe3\xe4", "ô": b"\xab\xe5\xe6\xe7\xe8\xe9", "ơ": b"\xac\xea\xeb\xec\xed\xee",
    "u": b"u\xef\xf1\xf2\xf3\xf4", "ư": b"\xad\xf5\xf6\xf7\xf8\xf9", "y": b"y\xfa\xfb\xfc\xfd\xfe",
}
_ABC_TONES = ("", _GRAVE, _HOOK, _TILDE, _ACUTE, _DOT)
_TCVN3 = {
    unicodedata.normalize("NFC", base + tone): bytes([code])
    for base, codes in _ABC.items()
    for tone, code in zip(_ABC_TONES, codes)
}
_TCVN3.update({"đ": b"\xae", "Ă": b"\xa1", "Â": b"\xa2", "Ê": b"\xa3", "Ô": b"\xa4", "Ơ": b"\xa5", "Ư": b"\xa6", "Đ": b"\xa7"})
_TCVN3_COMBINING = {_GRAVE: b"\xb0", _HOOK: b"\xb1", _TILDE: b"\xb2", _ACUTE: b"\xb3", _DOT: b"\xb4"}


def encode_tcvn3(text: str) -> bytes:
    """Unicode -> TCVN3. Upper-case toned letters (not in ABC) as letter + combining tone byte."""
    out = bytearray()
    for ch in unicodedata.normalize("NFC", text):
        if ch.isascii():
            out += ch.encode()
        elif ch in _TCVN3:
            out += _TCVN3[ch]
        elif unicodedata.name(ch).startswith("LATIN"):
            base, tone = _split_tone(ch)
            out += (_TCVN3.get(base) or base.encode()) + _TCVN3_COMBINING[tone]
        else:
            out += _other_char(ch)
    return bytes(out)


_VNI_TONE = {"": "", _ACUTE: "ù", _GRAVE: "ø", _HOOK: "û", _TILDE: "õ", _DOT: "ï"}
_VNI_HAT = {"": "â", _ACUTE: "á", _GRAVE: "à", _HOOK: "å", _TILDE: "ã", _DOT: "ä"}
_VNI_BREVE = {"": "ê", _ACUTE: "é", _GRAVE: "è", _HOOK: "ú", _TILDE: "ü", _DOT: "ë"}
_VNI_I = {"": "i", _ACUTE: "í", _GRAVE: "ì", _HOOK: "æ", _TILDE: "ó", _DOT: "ò"}


def _vni_letter(ch: str) -> str:
    lower = ch.lower()
    base, tone = _split_tone(lower)
    if base == "đ":
        s = "ñ"
    elif base == "i":
        s = _VNI_I[tone]
    elif base == "y" and tone == _DOT:
        s = "î"
    elif base in "âêô":
        s = {"â": "a", "ê": "e", "ô": "o"}[base] + _VNI_HAT[tone]
    elif base == "ă":
        s = "a" + _VNI_BREVE[tone]
    elif base in "ơư":
        s = {"ơ": "ô", "ư": "ö"}[base] + _VNI_TONE[tone]
    else:
        assert base in "aeouy", ch
        s = base + _VNI_TONE[tone]
    return s.upper() if ch != lower else s


def encode_vni(text: str) -> bytes:
    out = bytearray()
    for ch in unicodedata.normalize("NFC", text):
        if ch.isascii():
            out += ch.encode()
        elif unicodedata.name(ch).startswith("LATIN"):
            out += _vni_letter(ch).encode("latin-1")
        else:
            out += _other_char(ch)
    return bytes(out)


def encode_cp1258(text: str) -> bytes:
    """cp1258 has some precomposed letters (á, ê, ơ, đ) and combining tone marks for the rest."""
    out = bytearray()
    for ch in unicodedata.normalize("NFC", text):
        try:
            out += ch.encode("cp1258")
        except UnicodeEncodeError:
            base, tone = _split_tone(ch)
            out += (base + tone).encode("cp1258")
    return bytes(out)


# --- the test encoders produce what the formats document --------------------------------


def test_test_encoders_match_known_examples() -> None:
    assert encode_tcvn3("Báo cáo năm") == b"B\xb8o c\xb8o n\xa8m"
    assert encode_tcvn3("Bảo Thắng") == b"B\xb6o Th\xbeng"
    assert encode_vni("Xin chào các bạn") == "Xin chaøo caùc baïn".encode("latin-1")
    assert encode_vni("TRƯỜNG") == "TRÖÔØNG".encode("latin-1")
    assert encode_cp1258("ấ") == b"\xe2\xec"  # â + combining acute


# --- converters ----------------------------------------------------------------------------


def test_tcvn3_to_unicode_known_words() -> None:
    assert tcvn3_to_unicode("B¸o c¸o cña UBND thÞ x· H\xad¬ng Trµ") == "Báo cáo của UBND thị xã Hương Trà"
    assert tcvn3_to_unicode("§ång bé, ®iÒu hµnh, n¨m") == "Đồng bộ, điều hành, năm"
    # Capitals typed in a .VnTimeH font use the lower-case codes.
    assert tcvn3_to_unicode("B¸O C¸O KÕT QU¶") == "BÁO CÁO KẾT QUẢ"
    # cp1252 punctuation kept, whether the bytes were read as cp1252 or Latin-1.
    assert tcvn3_to_unicode("“n¨m”") == "“năm”"
    assert tcvn3_to_unicode("\x93n¨m\x94 \x96") == "“năm” –"


def test_vni_to_unicode_known_words() -> None:
    assert vni_to_unicode("Xin chaøo caùc baïn") == "Xin chào các bạn"
    assert vni_to_unicode("UÛy ban nhaân daân tænh Ñoàng Thaùp") == "Ủy ban nhân dân tỉnh Đồng Tháp"
    assert vni_to_unicode("TRÖÔØNG ÑAÏI HOÏC") == "TRƯỜNG ĐẠI HỌC"
    assert vni_to_unicode("ñöôïc, ngöôøi, quyeát, hieän, thöïc, kyø, yù, mòt, ó") == (
        "được, người, quyết, hiện, thực, kỳ, ý, mịt, ĩ"
    )
    assert vni_to_unicode("naêm, aén, aèn, aún, aün, aën") == "năm, ắn, ằn, ẳn, ẵn, ặn"


def test_every_vietnamese_letter_round_trips() -> None:
    letters = [
        unicodedata.normalize("NFC", base + tone)
        for base in "aăâeêioôơuưy"
        for tone in ("",) + _TONE_MARKS
    ] + ["đ"]
    text = " ".join(letters + [x.upper() for x in letters])
    assert vni_to_unicode(encode_vni(text).decode("latin-1")) == text
    # TCVN3 capitals (letter + combining byte) come back composed.
    assert tcvn3_to_unicode(encode_tcvn3(text).decode("latin-1")) == text
    assert unicodedata.normalize("NFC", encode_cp1258(text).decode("cp1258")) == text


def test_vietnamese_score_separates_good_and_bad_decodings() -> None:
    data = encode_tcvn3(SAMPLE)
    good = vietnamese_score(tcvn3_to_unicode(data.decode("latin-1")))
    assert good > 1.0
    assert vietnamese_score(data.decode("cp1258")) < 0
    assert vietnamese_score(vni_to_unicode(data.decode("latin-1"))) < 0
    assert vietnamese_score(SAMPLE) > 1.0
    assert vietnamese_score("plain ASCII text") == 0.0


def test_looks_like() -> None:
    tcvn3 = encode_tcvn3(SAMPLE).decode("latin-1")
    vni = encode_vni(SAMPLE).decode("latin-1")
    assert looks_like_tcvn3(tcvn3) and not looks_like_vni(tcvn3)
    assert looks_like_vni(vni) and not looks_like_tcvn3(vni)
    for text in ("Báo cáo", "plain ASCII", "Café crème brûlée à la carte"):
        assert not looks_like_tcvn3(text) and not looks_like_vni(text)


def test_fix_legacy_text_converts_only_legacy_lines() -> None:
    mixed = "Báo cáo của UBND thị xã\nB¸o c¸o cña UBND thÞ x·\nUBND 2023\nchaøo caùc baïn"
    fixed, enc = fix_legacy_text(mixed)
    assert fixed == "Báo cáo của UBND thị xã\nBáo cáo của UBND thị xã\nUBND 2023\nchào các bạn"
    assert enc in ("tcvn3", "vni")
    assert fix_legacy_text(SAMPLE) == (SAMPLE, None)


def test_fix_legacy_text_whole_documents() -> None:
    assert fix_legacy_text(encode_tcvn3(SAMPLE).decode("cp1252")) == (SAMPLE, "tcvn3")
    assert fix_legacy_text(encode_vni(SAMPLE).decode("cp1252")) == (SAMPLE, "vni")


@pytest.mark.parametrize(
    "line",
    ["Báo cáo", "Dù", "Tân An, Cà Mau", "theo ¹ trong", "Bí thư", "Café crème", "Giáo dục: 95%"],
)
def test_fix_legacy_text_leaves_unicode_lines_alone(line: str) -> None:
    # Lines of real Unicode Vietnamese made of Latin-1 letters only could be misread as legacy.
    assert fix_legacy_text(line) == (line, None)


# --- decode_bytes ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("encoder", "expected"),
    [
        (lambda t: t.encode("utf-8"), "utf-8"),
        (lambda t: b"\xef\xbb\xbf" + t.encode("utf-8"), "utf-8-sig"),
        (lambda t: t.encode("utf-16"), "utf-16"),
        (lambda t: b"\xfe\xff" + t.encode("utf-16-be"), "utf-16"),
        (lambda t: t.encode("utf-16-le"), "utf-16-le"),
        (lambda t: t.encode("utf-16-be"), "utf-16-be"),
        (lambda t: t.encode("utf-32"), "utf-32"),
        (encode_cp1258, "cp1258"),
        (encode_tcvn3, "tcvn3"),
        (encode_vni, "vni"),
    ],
)
def test_decode_bytes_round_trip(encoder, expected: str) -> None:  # type: ignore[no-untyped-def]
    text, encoding = decode_bytes(encoder(SAMPLE))
    assert encoding == expected
    assert text == SAMPLE


def test_decode_bytes_cp1258_is_nfc() -> None:
    data = encode_cp1258("Quyết định")
    assert b"\xec" in data  # the acute is a separate combining byte in cp1258
    text, encoding = decode_bytes(b" ".join([data] * 20))
    assert encoding == "cp1258"
    assert text == " ".join(["Quyết định"] * 20) and unicodedata.is_normalized("NFC", text)


def test_decode_bytes_short_legacy_texts() -> None:
    assert decode_bytes(encode_tcvn3("Báo cáo tình hình kinh tế xã hội năm 2023")) == (
        "Báo cáo tình hình kinh tế xã hội năm 2023",
        "tcvn3",
    )
    assert decode_bytes(encode_vni("Báo cáo tình hình kinh tế xã hội năm 2023")) == (
        "Báo cáo tình hình kinh tế xã hội năm 2023",
        "vni",
    )


def test_decode_bytes_nfd_utf8_becomes_nfc() -> None:
    nfd = unicodedata.normalize("NFD", SAMPLE)
    assert nfd != SAMPLE
    assert decode_bytes(nfd.encode("utf-8")) == (SAMPLE, "utf-8")


def test_decode_bytes_a_few_bad_utf8_bytes_are_replaced() -> None:
    data = SAMPLE.encode("utf-8")
    broken = data[:100] + b"\xff\xfe" + data[100:500] + b"\xc3" + data[500:]
    text, encoding = decode_bytes(broken)
    assert encoding == "utf-8 (3 invalid bytes replaced)"
    assert text.count("\ufffd") == 2
    assert text.replace("\ufffd", "") == SAMPLE


def test_decode_bytes_utf8_with_tcvn3_lines_is_converted() -> None:
    # TCVN3 text copied out of a .VnTime document and saved as UTF-8.
    data = ("Báo cáo của UBND\n" + encode_tcvn3(SAMPLE).decode("cp1252")).encode("utf-8")
    assert decode_bytes(data) == ("Báo cáo của UBND\n" + SAMPLE, "utf-8+tcvn3")


def test_decode_bytes_western_text_falls_back() -> None:
    text, encoding = decode_bytes("Café crème brûlée, naïve façade — déjà vu.\n".encode("cp1252") * 20)
    assert "Café crème brûlée" in text
    assert encoding.lower().replace("_", "-") in ("cp1252", "windows-1252", "latin-1", "iso8859-1", "iso-8859-1")


@pytest.mark.parametrize(
    "data",
    [
        b"\x00\x01\x02\x03" * 100,
        b"PK\x03\x04\x14\x00\x06\x00" + bytes(range(256)) * 4,
        bytes(range(1, 32)) * 50,
    ],
)
def test_decode_bytes_binary(data: bytes) -> None:
    with pytest.raises(DecodeError, match="binary file"):
        decode_bytes(data)


# --- read_file on text files in every encoding ------------------------------------------


@pytest.mark.parametrize(
    ("encoder", "expected"),
    [
        (lambda t: b"\xef\xbb\xbf" + t.encode("utf-8"), "utf-8-sig"),
        (lambda t: t.encode("utf-16"), "utf-16"),
        (encode_cp1258, "cp1258"),
        (encode_tcvn3, "tcvn3"),
        (encode_vni, "vni"),
    ],
)
def test_read_file_legacy_txt(tmp_path: Path, encoder, expected: str) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "report.txt"
    path.write_bytes(encoder(SAMPLE))
    raw = read_file(path)
    assert (raw.text, raw.encoding, raw.source_format) == (SAMPLE, expected, "txt")


@pytest.mark.parametrize("name", sorted(p.name for p in CORPUS.glob("*.txt")))
def test_whole_corpus_files_in_legacy_encodings(tmp_path: Path, name: str) -> None:
    # Superscripts have no legacy byte; everything else in the reports must survive.
    text = (CORPUS / name).read_text(encoding="utf-8")
    text = text.translate(str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹₁", "0123456789" + "1"))
    for encoder, expected in ((encode_tcvn3, "tcvn3"), (encode_vni, "vni"), (encode_cp1258, "cp1258")):
        path = tmp_path / f"{expected}.txt"
        path.write_bytes(encoder(text))
        raw = read_file(path)
        assert raw.encoding == expected
        assert raw.text == text


def test_read_file_binary_txt(tmp_path: Path) -> None:
    path = tmp_path / "image.txt"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200))
    with pytest.raises(ReadError, match=r"^binary file \(not text\)$"):
        read_file(path)
