"""The reports assistant: application shell (settings, shared types, CLI)."""
