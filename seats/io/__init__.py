"""Reading vote tables and writing results: CSV, Parquet, JSON and plain-text tables.

>>> from seats.io import read_party_votes, write_frame
>>> callable(read_party_votes) and callable(write_frame)
True
"""

from seats.io.numbers import THOUSANDS_SEPARATORS, check_vote_value, parse_votes
from seats.io.read import FORMATS, VOTE_TABLE_COLUMNS, read_party_votes, read_table, read_vote_table
from seats.io.write import OUTPUT_FORMATS, format_table, serialise, write_bytes, write_frame

__all__ = [
    "FORMATS",
    "OUTPUT_FORMATS",
    "THOUSANDS_SEPARATORS",
    "VOTE_TABLE_COLUMNS",
    "check_vote_value",
    "format_table",
    "parse_votes",
    "read_party_votes",
    "read_table",
    "read_vote_table",
    "serialise",
    "write_bytes",
    "write_frame",
]
