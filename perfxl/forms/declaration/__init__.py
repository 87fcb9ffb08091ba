"""财政项目支出绩效目标申报表 — the declaration form, as the protocol of :mod:`perfxl.forms`
names it (and nothing else: the rest of perfxl reaches it through
:func:`perfxl.forms.form_for`).

Its modules, lowest first: :mod:`.spec` (where everything is: title, labels, columns, helper
columns, the :class:`~.spec.SheetMap`), :mod:`.formulas` (helper columns, check cells, defined
names), :mod:`.validation` (drop-downs, conditional formats), :mod:`.sheet` (the whole sheet laid out),
:mod:`.reader` (a sheet back into the model), :mod:`.paint` (what scoring paints: nothing).
"""

from perfxl.forms.declaration.formulas import formulas_patch, names_patch
from perfxl.forms.declaration.sheet import layout
from perfxl.forms.declaration.paint import findings_patch, score_results
from perfxl.forms.declaration.reader import read, recognises
from perfxl.forms.declaration.spec import FORM as form
from perfxl.forms.declaration.spec import PROMPT_TITLES as prompt_titles
from perfxl.forms.declaration.validation import conditional_patch, validations_patch

__all__ = ["form", "recognises", "layout", "read", "formulas_patch", "names_patch",
           "validations_patch", "conditional_patch", "findings_patch", "prompt_titles",
           "score_results"]
