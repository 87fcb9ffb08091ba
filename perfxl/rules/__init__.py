"""The rules layer: parsing targets and actuals (:mod:`.targets`), scoring (domain.md R1–R8,
:mod:`.scoring`), checks (:mod:`.checks`) and the one rule catalogue (:mod:`.catalog`).

Pure functions of :mod:`perfxl.model` objects — no I/O, no openpyxl, no xlwings. Import the
module you need; this package runs nothing on import, so the catalogue (imported by
:mod:`perfxl.findings`) can sit below the rules that cite it.
"""
