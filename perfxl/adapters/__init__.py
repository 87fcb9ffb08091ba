"""Adapters that apply a perfxl.patch.Patch: to a file (openpyxl) or to a live workbook (xlwings)."""
