"""Decode text bytes to Unicode, including the legacy Vietnamese font encodings.

Order of detection: BOM -> valid UTF-8 -> UTF-16 without BOM (NUL pattern) ->
binary check -> score cp1258 / TCVN3 / VNI by how Vietnamese the result looks.

TCVN3 (ABC, ".VnTime" fonts) is single-byte; the table below is the 0xA0-0xFF half of
TCVN 5712 "VN1", which holds the whole ABC "VN3" layout. VN3 has no upper-case toned
letters: those were typed with the lower-case codes in a ".VnTimeH" capitals font
(see `_fix_vntimeh_case`).
VNI ("VNI-Times" fonts) writes most toned vowels as base letter + modifier byte.
"""
from __future__ import annotations

import codecs
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field

import charset_normalizer


class DecodeError(ValueError):
    """The bytes are not text we can decode; str(e) is a user-facing reason."""


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


# ---------------------------------------------------------------------------
# TCVN3

# Bytes 0xA0-0xFF -> Unicode. Bytes below 0xA0 are as in cp1252: ".VnTime" fonts keep the
# Windows punctuation (“ ” – …) there, where VN1 has upper-case letters that fonts rarely had.
_TCVN3_HIGH = (
    # 0xA0
    "\u00a0ĂÂÊÔƠƯĐăâêôơưđẰ"
    # 0xB0: 0xB0-0xB4 are combining tone marks (grave, hook, tilde, acute, dot below)
    "\u0300\u0309\u0303\u0301\u0323àảãáạẲằẳẵắẴ"
    # 0xC0
    "ẮẦẨẪẤỀặầẩẫấậèỂẻẽ"
    # 0xD0
    "éẹềểễếệìỉỄẾỒĩíịò"
    # 0xE0
    "Ổỏõóọồổỗốộờởỡớợù"
    # 0xF0
    "ỖủũúụừửữứựỳỷỹýỵỐ"
)
assert len(_TCVN3_HIGH) == 96


def _cp1252_char(byte: int) -> str | None:
    try:
        return bytes([byte]).decode("cp1252")
    except UnicodeDecodeError:
        return None


# Legacy text is read byte for byte as Latin-1; this moves 0x80-0x9F to the cp1252
# punctuation those fonts show there (undefined cp1252 bytes stay as they are).
_C1_TO_CP1252 = {b: c for b in range(0x80, 0xA0) if (c := _cp1252_char(b)) is not None}
_TCVN3_TABLE = {**_C1_TO_CP1252, **{0xA0 + i: ch for i, ch in enumerate(_TCVN3_HIGH)}}


# 256-character decoding tables for codecs.charmap_decode (one fast C pass over the bytes).
_LEGACY_CHARMAP = "".join(_C1_TO_CP1252.get(b, chr(b)) for b in range(256))
_TCVN3_CHARMAP = "".join(_TCVN3_TABLE.get(b, chr(b)) for b in range(256))


def _read_legacy(data: bytes) -> str:
    return codecs.charmap_decode(data, "strict", _LEGACY_CHARMAP)[0]


# A word typed in a ".VnTimeH" (capitals) font: upper-case ASCII letters with the
# lower-case TCVN3 codes for toned vowels, e.g. "B¸O C¸O" -> "BáO" -> "BÁO".
# Candidates: words with two or more A-Z and no a-z; digits and "_" end a word.
_CAPS_WORD = re.compile(r"(?<![^\W\d_])(?=[^\W\d_a-z]*[A-Z][^\W\d_a-z]*[A-Z])[^\W\d_a-z]+(?![^\W\d_])")


def _fix_vntimeh_case(text: str) -> str:
    def fix(m: re.Match[str]) -> str:
        w = m.group()
        return w.upper() if any(ord(c) > 0x7F and c.islower() for c in w) else w

    return _CAPS_WORD.sub(fix, text)


def tcvn3_to_unicode(text: str) -> str:
    """Convert text whose bytes are TCVN3 but were read as Latin-1/cp1252 to Unicode (NFC)."""
    return _fix_vntimeh_case(unicodedata.normalize("NFC", text.translate(_TCVN3_TABLE)))


def tcvn3_decode(data: bytes) -> str:
    text = codecs.charmap_decode(data, "strict", _TCVN3_CHARMAP)[0]
    return _fix_vntimeh_case(unicodedata.normalize("NFC", text))


# ---------------------------------------------------------------------------
# VNI (VNI-Windows)

_VNI_TONES = {"ù": "\u0301", "ø": "\u0300", "û": "\u0309", "õ": "\u0303", "ï": "\u0323"}
_VNI_HAT = {"â": "", "á": "\u0301", "à": "\u0300", "å": "\u0309", "ã": "\u0303", "ä": "\u0323"}
_VNI_BREVE = {"ê": "", "é": "\u0301", "è": "\u0300", "ú": "\u0309", "ü": "\u0303", "ë": "\u0323"}
# Stand-alone bytes (lower-case forms; upper-case bytes are their Latin-1 upper case).
_VNI_SINGLE_LOWER = {
    "ì": "ì", "í": "í", "æ": "ỉ", "ó": "ĩ", "ò": "ị", "î": "ỵ",
    "ô": "ơ", "ö": "ư", "ñ": "đ",
}


def _build_vni_tables() -> tuple[dict[str, str], dict[str, str]]:
    pairs: dict[str, str] = {}  # base + modifier -> letter (base decides the case)

    def add(base: str, mod: str, result: str) -> None:
        for b, r in ((base, result), (base.upper(), result.upper())):
            for m in (mod, mod.upper()):
                pairs[b + m] = unicodedata.normalize("NFC", r)

    for base in "aeouy":
        for mod, tone in _VNI_TONES.items():
            add(base, mod, base + tone)
    for base, hatted in (("a", "â"), ("e", "ê"), ("o", "ô")):
        for mod, tone in _VNI_HAT.items():
            add(base, mod, hatted + tone)
    for mod, tone in _VNI_BREVE.items():
        add("a", mod, "ă" + tone)
    for base, letter in (("ô", "ơ"), ("ö", "ư")):
        for mod, tone in _VNI_TONES.items():
            add(base, mod, letter + tone)
    singles = dict(_VNI_SINGLE_LOWER)
    singles.update({k.upper(): v.upper() for k, v in _VNI_SINGLE_LOWER.items()})
    return pairs, singles


_VNI_PAIRS, _VNI_SINGLES = _build_vni_tables()
_VNI_BASES = "".join(sorted({p[0] for p in _VNI_PAIRS}))
_VNI_MODIFIERS = "".join(sorted({p[1] for p in _VNI_PAIRS}))
assert not set(_VNI_MODIFIERS) & (set(_VNI_BASES) | set(_VNI_SINGLES))
# Base + modifier, or a single byte, in one pass (so the "ô" made from "oâ" is not re-read as "ơ").
_VNI_PATTERN = re.compile(f"[{_VNI_BASES}][{_VNI_MODIFIERS}]|[{''.join(_VNI_SINGLES)}]")


def _vni_replace(m: re.Match[str]) -> str:
    s = m.group()
    pair = _VNI_PAIRS.get(s)
    if pair is not None:
        return pair
    # Not a letter pair (e.g. "uâ"): the modifier is no base or single itself, so keep it.
    return _VNI_SINGLES.get(s[0], s[0]) + s[1:]


def vni_to_unicode(text: str) -> str:
    """Convert text whose bytes are VNI but were read as Latin-1/cp1252 to Unicode (NFC)."""
    text = text.translate(_C1_TO_CP1252)
    return unicodedata.normalize("NFC", _VNI_PATTERN.sub(_vni_replace, text))


def vni_decode(data: bytes) -> str:
    return unicodedata.normalize("NFC", _VNI_PATTERN.sub(_vni_replace, _read_legacy(data)))


# ---------------------------------------------------------------------------
# How Vietnamese does a text look?

_TONES = frozenset("\u0300\u0301\u0303\u0309\u0323")  # huyền, sắc, ngã, hỏi, nặng
_STOP_TONES = frozenset("\u0301\u0323")  # sắc, nặng: the only tones before c, ch, p, t
_ONSETS = "ngh|ng|gh|gi|kh|nh|ph|th|tr|ch|qu|[bcdđghklmnpqrstvx]"
# Vowel groups that may take a final consonant, and those that end in a glide (no final).
_NUCLEI_OPEN = "uyê|iê|yê|oa|oă|oe|oo|uâ|uê|uô|ươ|uy|ia|ua|ưa|uơ|[aăâeêioôơuưy]"
_NUCLEI_GLIDE = (
    "iêu|yêu|oai|oay|oao|oeo|uây|uôi|uya|uyu|ươi|ươu"
    "|ai|ao|au|ay|âu|ây|eo|êu|iu|oi|ôi|ơi|ui|ưi|ưu"
)
_SYLLABLE = re.compile(
    rf"(?:{_ONSETS})?(?:(?:{_NUCLEI_GLIDE})|(?:{_NUCLEI_OPEN})(?P<coda>ch|ng|nh|[cmnpt])?)"
)
# Word separators: ASCII punctuation and cp1252 punctuation ("“”–…"), but not « » ¸ µ ...,
# which are letters in TCVN3 text read as Latin-1.
_CONSONANTS = frozenset("bcdđfghjklmnpqrstvwxz")
_WORD_SPLIT = re.compile(r"[\s!-/:-@\[-`{-~“”‘’–—…•]+")

# Frequent syllables with diacritics in administrative Vietnamese; a wrong decoding
# can produce valid-looking syllables, but rarely these ones.
COMMON_WORDS = frozenset(
    """các công và thực hiện xã năm thành của tác hoạch vụ triển chỉ thị kế trong phố
    đạt nhiệm giải hội với chính chức hành động trình quyết đạo đã trên đồng quy việc
    có dân địa chủ án số phường phát tỉnh hợp được cơ xây dựng về dự đầu tiếp tế lý
    định tăng bàn nhân tổ tỷ quả tiêu kiểm điều tập để tư tục bảo văn pháp đất đề
    phòng kết đến trường nghiệp bộ người sở sản sách hồ chế tình quản nhà sơ hình chưa
    không giao tâm đơn dụng hạn là đô tại học ngành hoạt xuất lệ nước phối cường đối
    hoàn ủy uỷ báo tham chương trọng thường thời nâng luật lượng còn độ đảm thể giá ngày
    cấp sử những mới sự tạo cáo giáo toàn điểm hđnd một thông chất ngân họp làm
    phương quyền hiệu tháng trị quốc kiến đúng nhận vực thủ đó lập vị kỳ hóa hoá phân
    hộ tiến tịch bản sát dịch nông viên vốn dục nghị trực giảm chuẩn cuộc phục ý trì
    tổng đoạn từ phạm toán lực lĩnh tự mặt nhiều nội cán hướng bằng ở""".split()
)


def _is_syllable(word: str) -> bool:
    """True for one well-formed Vietnamese syllable (lower case, NFC)."""
    decomposed = unicodedata.normalize("NFD", word)
    tones = [c for c in decomposed if c in _TONES]
    if len(tones) > 1:
        return False
    base = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in _TONES))
    m = _SYLLABLE.fullmatch(base)
    if m is None:
        return False
    return not (m.group("coda") in ("c", "ch", "p", "t") and tones and tones[0] not in _STOP_TONES)


def vietnamese_score(text: str) -> float:
    """Roughly -2..2: how much the non-ASCII words of ``text`` look like Vietnamese.

    Each word (between spaces and punctuation) with a non-ASCII letter counts +1 if it is a
    valid syllable, -2 if not, +1 more if it is a frequent word; other tokens are
    neutral. 0.0 when there is no such token.
    """
    total = 0.0
    n = 0
    for word in _WORD_SPLIT.split(unicodedata.normalize("NFC", text).lower()):
        if word.isascii() or not any(c.isalpha() for c in word) or _CONSONANTS.issuperset(word):
            continue  # "2023", "ubnd", "¹", "§", "hđnd": no evidence either way
        n += 1
        if word.isalpha() and _is_syllable(word):
            total += 2.0 if word in COMMON_WORDS else 1.0
        else:
            total -= 2.0
    return total / n if n else 0.0


_CP1252_EXTRA = "".join(c for b in range(0x80, 0xA0) if (c := _cp1252_char(b)) and ord(c) >= 0x100)
_NOT_LEGACY_CHAR = re.compile(f"[^\x00-\xff{_CP1252_EXTRA}]")


def _as_legacy_chars(text: str) -> bool:
    """True if every character could be a single byte read as Latin-1/cp1252."""
    return _NOT_LEGACY_CHAR.search(text) is None

_MIN_SCORE = 0.5  # a decoding below this does not look like Vietnamese
_MARGIN = 0.5  # how much better a conversion must look than the text as it is


def _looks_like(text: str, convert: Callable[[str], str]) -> bool:
    """``text`` reads badly as it is (so it is not already Unicode Vietnamese) and well converted."""
    if text.isascii() or not _as_legacy_chars(text):
        return False
    as_is = vietnamese_score(text)
    converted = vietnamese_score(convert(text))
    return as_is < 0 and converted >= _MIN_SCORE and converted >= as_is + _MARGIN


def looks_like_tcvn3(text: str) -> bool:
    """True if ``text`` (legacy bytes read as Latin-1/cp1252) reads better as TCVN3 than as is."""
    return _looks_like(text, tcvn3_to_unicode) and vietnamese_score(tcvn3_to_unicode(text)) >= (
        vietnamese_score(vni_to_unicode(text))
    )


def looks_like_vni(text: str) -> bool:
    """True if ``text`` (legacy bytes read as Latin-1/cp1252) reads better as VNI than as is."""
    return _looks_like(text, vni_to_unicode) and vietnamese_score(vni_to_unicode(text)) > (
        vietnamese_score(tcvn3_to_unicode(text))
    )


_CONVERTERS = {"tcvn3": tcvn3_to_unicode, "vni": vni_to_unicode}


def fix_legacy_text(text: str) -> tuple[str, str | None]:
    """Convert the lines of already-decoded text that are TCVN3/VNI font text (e.g. a .docx
    or PDF set in .VnTime / VNI-Times) to Unicode. Returns (text, "tcvn3" | "vni" | None).

    Only lines made of Latin-1/cp1252 characters can be legacy text. When those lines
    together clearly are one legacy encoding, each of them is converted if that reads
    better; otherwise only lines that are clearly legacy on their own are.
    """
    lines = text.split("\n")
    idx = [i for i, line in enumerate(lines) if not line.isascii() and _as_legacy_chars(line)]
    if not idx:
        return text, None
    joint = "\n".join(lines[i] for i in idx)
    as_is = vietnamese_score(joint)
    scores = {name: vietnamese_score(convert(joint)) for name, convert in _CONVERTERS.items()}
    best = max(scores, key=lambda name: scores[name])
    document_is_legacy = as_is < 0 and scores[best] >= _MIN_SCORE and scores[best] >= as_is + _MARGIN
    order = [best] + [name for name in _CONVERTERS if name != best]
    used: dict[str, int] = {}
    for i in idx:
        line = lines[i]
        if document_is_legacy and vietnamese_score(_CONVERTERS[best](line)) > vietnamese_score(line):
            choice: str | None = best
        else:
            choice = next((name for name in order if _looks_like(line, _CONVERTERS[name])), None)
        if choice is not None:
            lines[i] = _CONVERTERS[choice](line)
            used[choice] = used.get(choice, 0) + 1
    if not used:
        return text, None
    return "\n".join(lines), max(used, key=lambda name: used[name])


# ---------------------------------------------------------------------------
# Bytes -> text

_BOMS = (  # UTF-32 first: its LE BOM starts with the UTF-16 LE BOM
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)
_ALLOWED_CONTROLS = frozenset("\t\n\r\f\v\x1a")  # \x1a: DOS end-of-file marker
_SAMPLE = 128 * 1024  # bytes scored when guessing a legacy encoding


def _control_share(text: str) -> float:
    """Share of C0 control characters (C1 bytes are cp1252 punctuation or UTF-8 parts)."""
    sample = text[:_SAMPLE]
    if not sample:
        return 0.0
    bad = sum(1 for c in sample if (c < " " or c == "\x7f") and c not in _ALLOWED_CONTROLS)
    return bad / len(sample)


def _check_text(text: str) -> None:
    if "\x00" in text or _control_share(text) > 0.05:
        raise DecodeError("binary file (not text)")


def _guess_utf16(data: bytes) -> str | None:
    """'utf-16-le'/'utf-16-be' if the NUL bytes fall on one side only (mostly-ASCII UTF-16)."""
    if len(data) < 4 or len(data) % 2:
        return None
    sample = data[:_SAMPLE]
    even, odd = sample[0::2], sample[1::2]
    even_nul, odd_nul = even.count(0) / len(even), odd.count(0) / len(odd)
    if odd_nul > 0.3 and even_nul < 0.02:
        return "utf-16-le"
    if even_nul > 0.3 and odd_nul < 0.02:
        return "utf-16-be"
    return None


_ESCAPED_BYTE = re.compile("[\udc80-\udcff]")


def _decode_utf8_lenient(data: bytes) -> tuple[str, int, int]:
    """(text, invalid bytes, valid non-ASCII chars) with invalid runs replaced by U+FFFD."""
    raw = data.decode("utf-8", errors="surrogateescape")
    n_bad = len(_ESCAPED_BYTE.findall(raw))
    n_good = len(raw) - len(raw.encode("ascii", errors="ignore")) - n_bad
    return re.sub("[\udc80-\udcff]+", "\ufffd", raw), n_bad, n_good


def _decode_cp1258(data: bytes) -> str:
    return _nfc(data.decode("cp1258", errors="replace"))  # cp1258 tone marks are combining


_LEGACY_DECODERS = {"cp1258": _decode_cp1258, "tcvn3": tcvn3_decode, "vni": vni_decode}


def _non_ascii_lines(data: bytes) -> bytes:
    """Up to _SAMPLE bytes of the lines that have non-ASCII bytes: what tells encodings apart."""
    out = bytearray()
    for m in re.finditer(rb"[^\n]*[\x80-\xff][^\n]*", data):
        out += m.group() + b"\n"
        if len(out) >= _SAMPLE:
            break
    return bytes(out)


@dataclass
class Decoded:
    text: str
    encoding: str
    warnings: list[str] = field(default_factory=list)


def decode_bytes(data: bytes) -> tuple[str, str]:
    """(text, encoding) of ``decode_text``."""
    decoded = decode_text(data)
    return decoded.text, decoded.encoding


def decode_text(data: bytes) -> Decoded:
    """Decode file bytes to (NFC text, encoding name). Raises DecodeError for binary data.

    Encoding names: "utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "utf-32",
    "cp1258", "tcvn3", "vni", "utf-8 (N invalid bytes replaced)"; text that does not look
    Vietnamese is read as "cp1252", else as charset-normalizer guesses. Unicode text with
    lines of TCVN3/VNI font text in it (copied out of a .VnTime document) has those
    lines converted and is named e.g. "utf-8+tcvn3".
    """
    mixed = _decode_mixed(data)
    if mixed is not None:
        return mixed
    text, encoding = _decode(data)
    if encoding in _LEGACY_DECODERS:
        return Decoded(text, encoding)
    fixed, legacy = fix_legacy_text(text)
    return Decoded(fixed, f"{encoding}+{legacy}") if legacy else Decoded(text, encoding)


_MIN_UTF8_CHARS = 3  # non-ASCII characters in valid UTF-8 lines that show the file is UTF-8


def _decode_mixed(data: bytes) -> Decoded | None:
    """A UTF-8 file with some lines in a legacy encoding (pasted from an older file), decoded line by line.

    None unless the file has valid non-ASCII UTF-8 lines and the invalid ones read as Vietnamese
    in cp1258, TCVN3 or VNI; the lines decoded otherwise are named in a warning.
    """
    if data.startswith(tuple(bom for bom, _ in _BOMS)) or b"\x00" in data[:_SAMPLE]:
        return None
    lines = data.split(b"\n")
    bad: list[int] = []
    utf8_chars = 0
    for number, line in enumerate(lines):
        try:
            decoded = line.decode("utf-8")
        except UnicodeDecodeError:
            bad.append(number)
        else:
            utf8_chars += len(decoded) - len(decoded.encode("ascii", errors="ignore"))
    if not bad or utf8_chars < _MIN_UTF8_CHARS:
        return None
    sample = b"\n".join(lines[n] for n in bad)[:_SAMPLE]
    scores = {name: vietnamese_score(decode(sample)) for name, decode in _LEGACY_DECODERS.items()}
    best = max(scores, key=lambda name: scores[name])
    if scores[best] < _MIN_SCORE:
        return None
    decode = _LEGACY_DECODERS[best]
    bad_set = set(bad)
    parts = [decode(line) if n in bad_set else line.decode("utf-8") for n, line in enumerate(lines)]
    text = _nfc("\n".join(parts))
    _check_text(text[:_SAMPLE])
    shown = ", ".join(str(n + 1) for n in bad[:10]) + (" …" if len(bad) > 10 else "")
    warning = f"mixed encodings: {len(bad)} line(s) not UTF-8 decoded as {best} (line {shown}); check them"
    return Decoded(text, f"utf-8+{best}", [warning])


def _decode(data: bytes) -> tuple[str, str]:
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                text = data.decode(codec)
            except UnicodeDecodeError as e:
                raise DecodeError(f"invalid {codec} text ({e.reason} at byte {e.start})") from None
            _check_text(text)
            return _nfc(text), codec

    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        _check_text(text)
        return _nfc(text), "utf-8"

    utf16 = _guess_utf16(data)
    if utf16 is not None:
        try:
            text = data.decode(utf16)
        except UnicodeDecodeError:
            pass
        else:
            if _control_share(text) < 0.01:
                return _nfc(text), utf16

    if b"\x00" in data[:_SAMPLE]:
        raise DecodeError("binary file (not text)")
    _check_text(data[:_SAMPLE].decode("latin-1"))

    # Mostly valid UTF-8 with a few broken bytes (a bad copy, a truncated character).
    sample = _non_ascii_lines(data)
    _, n_bad, n_good = _decode_utf8_lenient(sample)
    if n_good >= 10 * n_bad:
        lenient, n_bad, n_good = _decode_utf8_lenient(data)
        if n_good >= 10 * n_bad:
            return _nfc(lenient), f"utf-8 ({n_bad} invalid byte{'s' if n_bad != 1 else ''} replaced)"

    scores = {name: vietnamese_score(decode(sample)) for name, decode in _LEGACY_DECODERS.items()}
    best = max(scores, key=lambda name: scores[name])  # ties: the first (cp1258, tcvn3, vni)
    if scores[best] >= _MIN_SCORE:
        return _LEGACY_DECODERS[best](data), best

    # Not Vietnamese: most likely Western text from a Windows machine.
    try:
        return _nfc(data.decode("cp1252")), "cp1252"
    except UnicodeDecodeError:
        pass
    guess = charset_normalizer.from_bytes(data).best()
    if guess is not None:
        return _nfc(str(guess)), guess.encoding
    return _nfc(data.decode("cp1252", errors="replace")), "cp1252"
