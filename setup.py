"""Ship macros/ and templates/ inside the wheel as perfxl/_data/ (perfxl.addin_build.data_dir),
where importlib.resources finds them; the checkout keeps them at the top level."""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

DATA = ("macros", "templates")


class BuildPyWithData(build_py):
    def run(self):
        super().run()
        for name in DATA:
            src = Path(name)
            if src.is_dir():
                dst = Path(self.build_lib) / "perfxl" / "_data" / name
                shutil.rmtree(dst, ignore_errors=True)
                shutil.copytree(src, dst, ignore=shutil.ignore_patterns("*.bak.*", "~$*"))


setup(cmdclass={"build_py": BuildPyWithData})
