"""What scoring paints on a declaration sheet beyond its formulas: nothing — a declaration has
no scores, so no reasons to flag and no score formulas of the user's own to store."""

from __future__ import annotations

from perfxl.forms.declaration.spec import SheetMap
from perfxl.model import Declaration, Settings
from perfxl.patch import Patch


def findings_patch(m: SheetMap, project: Declaration, ps, ws, settings: Settings) -> Patch:
    """Nothing to paint (the protocol's score painting)."""
    return Patch()


def score_results(m: SheetMap) -> dict:
    """No formula results to store (a declaration has no 得分 cells)."""
    return {}
