"""Stores chunks (Chroma + a lexical index beside it) and searches them."""
