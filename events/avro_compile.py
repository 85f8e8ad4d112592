"""What the compiled Avro writer (events/avro_writer.py) and reader (events/avro_reader.py)
share: generated functions named in one counter, one function per record schema (a
reference to a record already seen calls its function), the environment the source runs
in, and the fallback to fastavro for a schema a compiler does not handle.
"""

from __future__ import annotations

from typing import Any


class Unsupported(Exception):
    """A schema feature a compiler does not handle: fastavro takes that schema."""


class SchemaCompiler:
    """Python source generated from one record schema (and the records it names)."""

    def __init__(self, env: dict[str, Any]) -> None:
        self.lines: list[str] = []
        self.env = env  # the names the generated source uses
        self.records: dict[str, str] = {}  # full name -> function name
        self._count = 0

    def name(self, prefix: str) -> str:
        """A fresh name for a generated variable or function."""
        self._count += 1
        return f"{prefix}{self._count}"

    def new_record(self, schema: dict[str, Any], namespace: str) -> tuple[str, str]:
        """(full name, function name) of a record schema, registered so that a later
        reference to the record by name calls that function."""
        full = schema["name"] if "." in schema["name"] else \
            f"{schema.get('namespace', namespace)}.{schema['name']}".lstrip(".")
        fn = self.name("_record")
        self.records[full] = fn
        return full, fn

    def record(self, schema: dict[str, Any], namespace: str = "") -> str:
        """Generate the record's function; returns its name."""
        raise NotImplementedError


def compile_schema(compiler: SchemaCompiler, schema: dict[str, Any]) -> Any:
    """The function `compiler` generates for the record `schema`, or None when the schema
    uses a feature it leaves to fastavro."""
    try:
        entry = compiler.record(schema)
    except Unsupported:
        return None
    namespace = dict(compiler.env)
    exec("\n".join(compiler.lines), namespace)  # noqa: S102 - source generated above
    return namespace[entry]
