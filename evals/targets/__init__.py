"""Extraction of target records (chỉ tiêu) measured against a hand-checked file (``gold.jsonl``)."""
