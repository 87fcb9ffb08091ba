"""Make the small LibreOffice-saved fixtures of tests/forms/test_returned_files.py (issue 15).

From the repository root: write the source workbook with the project's Python, then run this
script with the system Python that has Debian's python3-uno:

    python3 -c "from tests.forms.test_returned_files import source_workbook; source_workbook()"
    /usr/bin/python3 tests/data/make_libreoffice_fixtures.py

``lo_deleted_first_row.xlsx``: a perfxl self-evaluation whose 经济效益指标 row — the first row
of the 效益指标 group — was deleted in LibreOffice Calc (``Rows.removeByIndex``) and saved as
.xlsx: LibreOffice drops the merged 一级 label with the row and declares the sheet 1048576 rows.
"""

import subprocess
import sys
import time
from pathlib import Path

import uno  # noqa: F401  (python3-uno; registers the com.sun.star modules)
from com.sun.star.beans import PropertyValue

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "lo_source.xlsx"  # tests/forms/test_returned_files.py::source_workbook (not committed)


def _pv(name, value):
    p = PropertyValue()
    p.Name, p.Value = name, value
    return p


def main() -> None:
    profile = Path("/tmp/perfxl-uno-profile").as_uri()
    proc = subprocess.Popen(["soffice", f"-env:UserInstallation={profile}", "--headless",
                             "--norestore", "--nologo", "--accept=pipe,name=perfxlfix;urp;"])
    ctx = uno.getComponentContext()
    resolver = ctx.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", ctx)
    for _ in range(60):
        try:
            rctx = resolver.resolve("uno:pipe,name=perfxlfix;urp;StarOffice.ComponentContext")
            break
        except Exception:  # noqa: BLE001 — soffice still starting
            time.sleep(0.5)
    else:
        sys.exit("soffice did not start")
    desktop = rctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", rctx)
    doc = desktop.loadComponentFromURL(SOURCE.as_uri(), "_blank", 0, (_pv("Hidden", True),))
    doc.Sheets.getByIndex(0).Rows.removeByIndex(13, 1)  # row 14: 经济 (first row of 效益指标)
    doc.storeToURL((HERE / "lo_deleted_first_row.xlsx").as_uri(),
                   (_pv("FilterName", "Calc MS Excel 2007 XML"),))
    doc.close(True)
    try:
        desktop.terminate()
    except Exception:  # noqa: BLE001 — the bridge closes as soffice exits
        pass
    proc.wait(timeout=30)


if __name__ == "__main__":
    main()
