"""Rule-based segments: rules as JSON trees (tree), compiled to SQL (sql), evaluated in plain
Python (pyeval), and written in the `q` language (qrule)."""
