"""Reading: a DE table file -> a :class:`DETable` with canonical columns and a reading record.

Lowest module first: ``source`` (bytes, compression, text), ``split`` (header and cells),
``vocabulary`` (canonical names, numbers), ``table`` (the :class:`DETable`), ``genes`` (symbols, ID
maps, collapsing), ``detect`` (tool, ID and symbol columns), ``sanity`` (warnings) and ``reader``
(:func:`read_de_table`, which runs them in the data's order). Each imports only those before it.
"""

from degtools.io.reader import read_de_table, reader_options
from degtools.io.source import resolve_input_path
from degtools.io.table import DETable
from degtools.io.vocabulary import IDENTIFIER_COLUMNS

__all__ = ["IDENTIFIER_COLUMNS", "DETable", "read_de_table", "reader_options", "resolve_input_path"]
