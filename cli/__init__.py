"""The ``baocao`` command line: ``ingest | docs | search | ask | eval | ui | start`` (entry point ``cli.main:app``)."""
