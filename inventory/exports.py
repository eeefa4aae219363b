"""Writing one report file in any format: the one path the CLI and the GUI both take."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from inventory.report_sign import SigningKey

FORMATS = ("pdf", "xlsx", "csv", "json")


def format_of(path: Path) -> str | None:
    """The format a file name asks for (``.pdf`` -> ``pdf``), or None."""
    suffix = path.suffix.lower().lstrip(".")
    return suffix if suffix in FORMATS else None


def write_report(
    data: Mapping[str, Any],
    path: Path,
    fmt: str,
    paper: str = "letter",
    signing: SigningKey | None = None,
) -> str:
    """Write report ``data`` to ``path`` (0600) as ``fmt``; return the SHA-256 of the data.

    A PDF is signed with ``signing``, by default this installation's key.
    """
    # Each writer loads its library (reportlab, openpyxl) only when that format is asked for.
    from core.files import open_private  # noqa: PLC0415
    from inventory.canonical import sha256_hex  # noqa: PLC0415

    if fmt == "pdf":
        from inventory.report_pdf import PdfOptions  # noqa: PLC0415
        from inventory.report_sign import installation_key, write_signed_pdf  # noqa: PLC0415
        from vendors.catalogue import display_names  # noqa: PLC0415

        options = PdfOptions(paper=paper, names=display_names())
        return write_signed_pdf(data, path, options, signing or installation_key())
    if fmt in FORMATS:
        open_private(path)  # the writer truncates it and keeps the mode
    hashed = HashedDevices.wrap(data)
    if hashed is not None:  # the writer's one pass over the devices also hashes the data
        data = {**data, "devices": hashed}
    if fmt == "xlsx":
        from inventory.export_xlsx import write_xlsx  # noqa: PLC0415

        write_xlsx(data, path)
    elif fmt == "csv":
        from inventory.export_csv import write_csv  # noqa: PLC0415

        write_csv(data, path)
    elif fmt == "json":
        from inventory.export_json import write_json  # noqa: PLC0415

        write_json(data, path)
    else:
        raise ValueError(f"unknown report format {fmt!r} (use {', '.join(FORMATS)})")
    if hashed is not None and hashed.digest is not None:
        return hashed.digest
    return sha256_hex(data)


class HashedDevices(Sequence[Mapping[str, Any]]):
    """A report's lazy device list that hashes the whole report data as it is read.

    Exporting a stored scan reads its devices from the database once to write them; hashing
    the report's canonical JSON separately would read them all a second time.  Iterated to the
    end, this yields the records unchanged and leaves the SHA-256 of the canonical JSON of the
    whole ``data`` (the same value ``sha256_hex(data)`` gives) in :attr:`digest`.
    """

    def __init__(self, data: Mapping[str, Any]) -> None:
        from inventory.canonical import canonical_chunks  # noqa: PLC0415

        self._devices: Sequence[Mapping[str, Any]] = data["devices"]
        keys = sorted(data)
        at = keys.index("devices")
        before = {k: data[k] for k in keys[:at]}
        after = {k: data[k] for k in keys[at + 1 :]}
        head = b"".join(canonical_chunks(before))[:-1]  # "{...": keys sorting before "devices"
        tail = b"".join(canonical_chunks(after))[1:]  # "...}": the keys after it
        self._head = head + (b"," if before else b"") + b'"devices":['
        self._tail = b"]" + (b"," if after else b"") + tail
        self.digest: str | None = None

    @classmethod
    def wrap(cls, data: Mapping[str, Any]) -> HashedDevices | None:
        """A wrapper for ``data``'s devices when they are lazy (read from the store), else None."""
        from inventory.canonical import is_lazy  # noqa: PLC0415

        return cls(data) if is_lazy(data.get("devices")) else None

    def __len__(self) -> int:
        return len(self._devices)

    def __getitem__(self, index: Any) -> Any:
        return self._devices[index]

    def __iter__(self) -> Iterator[Mapping[str, Any]]:
        from inventory.canonical import canonical_bytes  # noqa: PLC0415

        digest = hashlib.sha256(self._head)
        for i, record in enumerate(self._devices):
            digest.update((b"," if i else b"") + canonical_bytes(record))
            yield record
        digest.update(self._tail)
        self.digest = digest.hexdigest()


def written(path: Path, fmt: str, scan_id: int, data: Mapping[str, Any], digest: str) -> str:
    """The line that says what was written."""
    count = len(data["devices"])
    return f"wrote {path} ({fmt}, scan {scan_id}, {count} devices, SHA-256 {digest})"
