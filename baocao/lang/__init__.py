"""Vietnamese language knowledge, in one place: every other package imports it from here.

- :mod:`~baocao.lang.normalize` — NFC, one tone-mark style, markup, accent folding (one i/y fold);
- :mod:`~baocao.lang.tokens` — syllables, whole numbers, clauses, matching forms;
- :mod:`~baocao.lang.sentences` — the one sentence splitter;
- :mod:`~baocao.lang.detect` — the language of a question;
- :mod:`~baocao.lang.places` — administrative levels and place names;
- :mod:`~baocao.lang.doctypes` — kinds of documents;
- :mod:`~baocao.lang.periods` — years, months, quarters, roman numerals;
- :mod:`~baocao.lang.numbers` — figures, dates, document numbers;
- :mod:`~baocao.lang.questions` — question phrases, stopwords, answer shapes, measures, statuses;
- :mod:`~baocao.lang.signatures` — the signature block (the signer's title and name), "who signed" questions;
- :mod:`~baocao.lang.abbreviations`, :mod:`~baocao.lang.glossary` — abbreviations, English -> Vietnamese;
- :mod:`~baocao.lang.restore` — diacritics restoration from a corpus's vocabulary.

The word lists are data files in ``data/`` (formats in :mod:`~baocao.lang.tables`), each checked
by a contract test (tests/test_lang_data.py).
"""
