"""Reading a SCALE-Sim input file (config or topology): the path is checked and every failure is a named error."""

from __future__ import annotations

from os import PathLike
from pathlib import Path

from chiplab._checks import instance_of
from chiplab.errors import ChiplabInputError


def read_input_file(name: str, path: object, what: str) -> tuple[Path, str]:
    """``(Path(path), its text)`` of the SCALE-Sim ``what`` file passed as parameter ``name``.

    A leading UTF-8 BOM is dropped (spreadsheet exports write one; SCALE-Sim's readers skip it too).
    """
    file = Path(instance_of(name, path, (str, PathLike), f"the path of a SCALE-Sim {what} file (a str or os.PathLike)"))
    try:
        return file, file.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ChiplabInputError(f"{what} file {str(file)!r} does not exist") from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:  # ValueError: a NUL byte in the path
        raise ChiplabInputError(f"{what} file {str(file)!r} cannot be read: {exc}") from None
