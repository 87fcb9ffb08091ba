"""Run by /usr/bin/python3 (python3-uno): open each file given in LibreOffice, print as JSON the
VBA modules LibreOffice's own importer found — {file: {module: [kind, source]}}.

Usage: python3 lo_vba_modules.py PROFILE_DIR FILE...
"""

import json
import subprocess
import sys
import time
import uuid
from pathlib import Path

import uno
from com.sun.star.beans import PropertyValue

KINDS = {0: "unknown", 1: "standard", 2: "class", 3: "form", 4: "document"}


def prop(name, value):
    p = PropertyValue()
    p.Name, p.Value = name, value
    return p


def main():
    profile, files = Path(sys.argv[1]), sys.argv[2:]
    pipe = "perfxl" + uuid.uuid4().hex
    proc = subprocess.Popen([
        "soffice", "--headless", "--invisible", "--nologo", "--norestore",
        f"-env:UserInstallation={profile.as_uri()}",
        f"--accept=pipe,name={pipe};urp;StarOffice.ComponentContext",
    ])
    try:
        local = uno.getComponentContext()
        resolver = local.ServiceManager.createInstanceWithContext(
            "com.sun.star.bridge.UnoUrlResolver", local)
        for _ in range(120):
            try:
                ctx = resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
                break
            except Exception:
                time.sleep(0.5)
        else:
            raise SystemExit("soffice did not start")
        desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
        out = {}
        for f in files:
            # type detection does not know the add-in suffix: name the OOXML-with-VBA filter
            args = (prop("Hidden", True), prop("FilterName", "Calc MS Excel 2007 VBA XML"))
            doc = desktop.loadComponentFromURL(Path(f).resolve().as_uri(), "_blank", 0, args)
            if doc is None:
                raise SystemExit(f"LibreOffice could not open {f}")
            libs = doc.BasicLibraries
            modules = {}
            for lib_name in libs.getElementNames():
                libs.loadLibrary(lib_name)
                lib = libs.getByName(lib_name)
                for name in lib.getElementNames():
                    kind = "unknown"
                    if lib.hasModuleInfo(name):
                        kind = KINDS.get(lib.getModuleInfo(name).ModuleType, "unknown")
                    modules[name] = [kind, lib.getByName(name)]
            out[f] = modules
            doc.close(True)
        print(json.dumps(out))
        try:
            desktop.terminate()
        except Exception:
            pass
    finally:
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


if __name__ == "__main__":
    main()
