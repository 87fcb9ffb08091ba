"""财政项目支出绩效自评表 — the self-evaluation form, as the protocol of :mod:`perfxl.forms`
names it (and nothing else: the rest of perfxl reaches it through
:func:`perfxl.forms.form_for`).

Its modules, lowest first: :mod:`.spec` (where everything is: title, labels, columns, the
:class:`~.spec.SheetMap`), :mod:`.formulas` (computed cells, defined names), :mod:`.validation`
(drop-downs, conditional formats), :mod:`.sheet` (the whole sheet laid out), :mod:`.table_reader` and
:mod:`.reader` (a sheet back into the model), :mod:`.paint` (what scoring paints).
"""

from perfxl.forms.self_evaluation.formulas import formulas_patch, names_patch
from perfxl.forms.self_evaluation.sheet import layout
from perfxl.forms.self_evaluation.paint import findings_patch, score_results
from perfxl.forms.self_evaluation.reader import read, recognises
from perfxl.forms.self_evaluation.spec import FORM as form
from perfxl.forms.self_evaluation.spec import PROMPT_TITLES as prompt_titles
from perfxl.forms.self_evaluation.validation import conditional_patch, validations_patch

__all__ = ["form", "recognises", "layout", "read", "formulas_patch", "names_patch",
           "validations_patch", "conditional_patch", "findings_patch", "prompt_titles",
           "score_results"]
