# Names vulture reports as unused in perfxl/ that are used: read by vulture (never imported) in
# tests/project/test_dead_code.py. Add a name here only with the reason it is not dead.
# ruff: noqa
# fmt: off

# --- called from outside Python's view ---------------------------------------------------------
# Ribbon handlers: called by RunPython from macros/PerfxlRibbon.bas.
new_project
# Worksheet functions (@xw.func): called by Excel from cells.
PERFXL_SCORE
PERFXL_RATIO
PERFXL_GRADE
PERFXL_TARGET

# --- pydantic: fields, configuration, hooks and serialisers it calls ------------------------------
model_config
model_post_init
context  # model_post_init's positional argument, required by pydantic's signature
_._ser_dec  # @field_serializer
_._blank_text  # @field_validator (model.Indicator: null text is a blank cell)
initial_budget  # a model field (年初预算数), read and written through the model's JSON
schema_version  # a model field, written into every project JSON

# --- attributes set on library objects (openpyxl, xlwings, COM), read by the library -------------
_.summaryRight
_.fitToPage
_.page_margins
_.horizontalCentered
_.freeze_panes
_.zoomScale
_.EndElementHandler  # pyexpat handler (perfxl.rewrite), called by the parser
_.showGridLines
_.tabColor
_.ColorIndex  # Excel COM
_.IsAddin  # Excel COM
_.Subject  # Outlook COM
_.To
_.Body
_.status_bar  # xlwings App
_.formatColumns
_.formatRows
_.selectLockedCells
_.StartElementHandler  # expat parser callbacks (perfxl/safety.py's streamed row count)
_.StartDoctypeDeclHandler
_.EntityDeclHandler
_.unraisablehook  # sys.unraisablehook (perfxl/shell.py: 'Exception ignored' noise to the log)
_.code_name  # openpyxl workbook/sheet properties (VBA code names, perfxl/addin_build.py)
_.codeName
_.external_attr  # zipfile.ZipInfo
_.visibility  # openpyxl BookView (a hidden add-in window)
_.txPr  # openpyxl chart text properties (perfxl/summary/sheets.py)
_.tx
_.print_title_cols  # openpyxl print titles
_.selectUnlockedCells
_.fullCalcOnLoad
_.lastModifiedBy
_.keywords
_.description
_.modified
_.quotePrefix
_.tableStyleInfo
_.legend
_.showVal
_.showSerName
_.showCatName
_.showLegendKey
_.showPercent
_.majorUnit
_.alignment  # openpyxl cell style (perfxl/summary/sheets.py, carry.py, forms/styles.py)
_.calculate_dimension  # openpyxl's sheet writer reads it: the size of a write-only sheet (perfxl/summary/sheets.py)

# --- caches: written, then read back through self.__dict__.get(...) (perfxl/forms/grid.py) -----
_._index
_._rows

# --- fields of a dataclass read by the tests and the import's cross-check ----------------------
was_text  # cellvalues.NumberCell
fund_score  # textimport.forms.Printed: the form's printed figures
total_score

# --- public API used by the test-suite and benchmarks (no product caller yet) ------------------
recalculate  # perfxl.libreoffice: the LibreOffice oracle of every formula test (design.md §4)
parse_number_cell  # perfxl.cellvalues
text_cell  # perfxl.cellvalues
is_error  # perfxl.forms.grid
name_similarity  # perfxl.summary.matching
indicator_similarity  # perfxl.summary.matching
save_summary  # perfxl.summary.sheets: benchmarks/ and tests/summary/test_summary_stream.py
pinned_xlwings_version  # perfxl.addin_build: the pin the VBA module's version is tested against
decrypt  # perfxl.vba_project: reads back CMG/DPB/GC, the oracle of encrypt's tests
