"""Turns a question into a short, cited answer."""
