"""Reports: one pass over the log -> figures -> text, CSV and the page."""
