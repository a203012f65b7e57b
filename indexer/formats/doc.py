"""Word 97–2003 .doc (and the other OLE2 Office files), and RTF, which Word also saves under a .doc name:
converted to .docx by LibreOffice headless and read as one, the text cached by content hash."""

from __future__ import annotations

import io
import os
import shutil
import signal
import struct
import subprocess
import tempfile
from pathlib import Path

from indexer.errors import ToolMissing, UnreadableFile
from indexer.formats import docx
from indexer.formats.text_cache import cached_text
from indexer.models import Extracted

name = "doc"
has_pages = False
# Read through a conversion, so the docx itself is preferred when both copies of an issue are there.
preference = 2

OLE2_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
RTF_SIGNATURE = b"{\\rtf"
# Bump when the text read from a converted file changes (this module or docx.docx_text).
TEXT_CACHE_VERSION = "doc2"
# LibreOffice makes a fresh profile on each call, which alone takes a few seconds on a busy machine.
CONVERSION_TIMEOUT = 180
# The FIB's flags word, and its fEncrypted bit ([MS-DOC] 2.5.2).
FIB_FLAGS_OFFSET = 0x0A
FIB_ENCRYPTED = 0x0100
# The main stream of the other Office files kept in OLE2 containers.
OTHER_OFFICE_FILES = (
    ("Workbook", "an Excel workbook (.xls)"),
    ("Book", "an Excel 5 workbook (.xls)"),
    ("PowerPoint Document", "a PowerPoint presentation (.ppt)"),
)
INSTALL_HINT = "apt-get install libreoffice-writer"


def sniff(head: bytes) -> bool:
    """RTF, or any OLE2 file. Which streams an OLE2 file holds (WordDocument for Word, Workbook for
    Excel, EncryptedPackage for a password-protected .docx or .xlsx) is written in its directory, which
    Word and LibreOffice put near the end of the file, out of sight of the first bytes; read() looks and
    names what it is. RTF would otherwise pass for plain text, its markup and escaped Chinese and all."""
    return head.startswith((OLE2_SIGNATURE, RTF_SIGNATURE))


def read(data: bytes, source: str, cache_dir: Path | None) -> Extracted:
    if data.startswith(OLE2_SIGNATURE):
        check_word_document(data, source)
    return cached_text(
        data,
        cache_dir,
        TEXT_CACHE_VERSION,
        lambda: Extracted(docx.docx_text(to_docx(data, source), source), 1),
        source,
    )


def check_word_document(data: bytes, source: str) -> None:
    """Raises UnreadableFile unless data is an unencrypted Word 97–2003 document."""
    import olefile

    try:
        with olefile.OleFileIO(io.BytesIO(data)) as container:
            if container.exists("EncryptedPackage"):
                raise UnreadableFile(source, "encrypted Office document (needs a password)")
            if not container.exists("WordDocument"):
                kind = next((kind for stream, kind in OTHER_OFFICE_FILES if container.exists(stream)), None)
                raise UnreadableFile(
                    source, f"{kind or 'an OLE2 file without a WordDocument stream'}, not a Word document"
                )
            fib = container.openstream("WordDocument").read(FIB_FLAGS_OFFSET + 2)
            flags = struct.unpack_from("<H", fib, FIB_FLAGS_OFFSET)[0]
    except (OSError, struct.error, ValueError, IndexError) as error:
        # olefile reports a truncated or malformed container through errors like these.
        raise UnreadableFile(source, f"damaged Office 97-2003 file ({error})") from error
    if flags & FIB_ENCRYPTED:
        raise UnreadableFile(source, "encrypted Word document (needs a password)")


def to_docx(data: bytes, source: str) -> bytes:
    """The document converted by LibreOffice headless, in a profile of its own so that calls in
    parallel (or a LibreOffice the user has open) do not share one and wait on its lock."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        raise ToolMissing(source, f"a Word 97-2003 or RTF file needs LibreOffice to be read: {INSTALL_HINT}")
    with tempfile.TemporaryDirectory(prefix="bulletin-doc-") as folder:
        work = Path(folder)
        # The name LibreOffice is given only helps it guess; it reads the bytes.
        document = work / ("issue.doc" if data.startswith(OLE2_SIGNATURE) else "issue.rtf")
        document.write_bytes(data)
        command = [
            soffice,
            f"-env:UserInstallation={(work / 'profile').as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            "docx:MS Word 2007 XML",
            "--outdir",
            str(work / "out"),
            str(document),
        ]
        # A session of its own: soffice is a script that starts soffice.bin, and on a timeout the whole
        # group must go, not the script alone.
        process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True
        )
        try:
            _, errors = process.communicate(timeout=CONVERSION_TIMEOUT)
        except subprocess.TimeoutExpired as error:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            raise UnreadableFile(
                source, f"LibreOffice did not convert it within {CONVERSION_TIMEOUT} s"
            ) from error
        converted = work / "out" / "issue.docx"
        if not converted.is_file():
            said = errors.decode("utf-8", "replace").strip().splitlines()
            detail = said[-1] if said else f"exit code {process.returncode}, no output"
            raise UnreadableFile(source, f"LibreOffice could not convert it ({detail})")
        return converted.read_bytes()
