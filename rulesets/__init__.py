"""Rule sets shipped with seats (TOML files and their district tables)."""
