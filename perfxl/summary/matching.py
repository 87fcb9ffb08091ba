"""Matching projects and indicators across years.

Projects are matched by name, tolerating renames (绿化市容行政服务工作 / 绿化市容行政服务工作经费):
exact name, then the name without a generic suffix (经费, 项目, 专项 …), then containment or a
close string similarity. The result is an explicit mapping (:class:`ProjectLink`) that the
summary writes to its 项目对照 sheet; a later run reads that sheet back (:func:`read_mapping`)
and honours what the user corrected there.

Indicators of matched projects are matched by name and unit (``%`` and 百分比 are one unit).
"""

from __future__ import annotations

import heapq
import re
import unicodedata
from dataclasses import dataclass
from difflib import SequenceMatcher
from pathlib import Path

import numpy as np

from perfxl.rules.targets import parse_target, same_unit

MAPPING_SHEET = "项目对照"

# Methods, as the 项目对照 sheet shows them.
SAME = "名称相同"
SIMILAR = "名称近似"
MANUAL = "按对照表"
NONE_PREV = "无上年项目"
NONE_CUR = "本年未申报"

_GENERIC_SUFFIXES = ("工作经费", "项目经费", "专项经费", "经费", "项目", "专项资金", "资金")
_PUNCT = re.compile(r"[\s\u3000,，.。、;；:：\"'“”‘’()（）\[\]【】<>《》\-—_/·]+")

PROJECT_THRESHOLD = 0.75
INDICATOR_THRESHOLD = 0.6


def normalize_name(name: str) -> str:
    return _PUNCT.sub("", unicodedata.normalize("NFKC", name or ""))


def _stem(name: str) -> str:
    n = normalize_name(name)
    for suffix in _GENERIC_SUFFIXES:
        if n.endswith(suffix) and len(n) > len(suffix) + 2:
            return n[: -len(suffix)]
    return n


def name_similarity(a: str, b: str) -> tuple[float, str]:
    """(similarity in [0, 1], method) of two project names."""
    na, nb = normalize_name(a), normalize_name(b)
    if na == nb:
        return 1.0, SAME
    if _stem(a) == _stem(b):
        return 0.95, SIMILAR
    short, long_ = sorted((na, nb), key=len)
    if len(short) >= 4 and short in long_:
        return 0.9, SIMILAR
    return SequenceMatcher(None, na, nb).ratio(), SIMILAR


@dataclass
class ProjectLink:
    """One row of 项目对照: a previous-year project and the current-year project it continues."""

    prev_year: int | None
    prev_name: str | None
    cur_year: int | None
    cur_name: str | None
    method: str
    similarity: float | None = None

    @property
    def matched(self) -> bool:
        return bool(self.prev_name and self.cur_name)


Mapping = dict[tuple[int | None, str], str | None]  # (prev_year, prev_name) -> cur_name | None


def match_projects(
    prev: list[tuple[int, str]],
    cur: list[tuple[int, str]],
    mapping: Mapping | None = None,
    threshold: float = PROJECT_THRESHOLD,
) -> list[ProjectLink]:
    """Pair previous-year projects with current-year ones, one to one.

    ``prev``/``cur`` are (year, name). ``mapping`` (from a corrected 项目对照 sheet) wins over
    the automatic matching: a name maps to the given current project, or to none (``None``).
    """
    mapping = mapping or {}
    links: list[ProjectLink] = []
    free_prev = list(prev)
    free_cur = list(cur)
    cur_by_name = {normalize_name(n): (y, n) for y, n in cur}
    index = _mapping_index(mapping) if mapping else {}
    for py, pn in list(free_prev):
        key = _mapping_key(mapping, py, pn, index) if mapping else None
        if key is None:
            continue
        target = mapping[key]
        if target is None:
            links.append(ProjectLink(py, pn, None, None, MANUAL))
            free_prev.remove((py, pn))
            continue
        hit = cur_by_name.get(normalize_name(target))
        if hit is not None and hit in free_cur:
            links.append(ProjectLink(py, pn, hit[0], hit[1], MANUAL, None))
            free_prev.remove((py, pn))
            free_cur.remove(hit)
    taken_prev: set = set()
    taken_cur: set = set()
    for sim, p, c, method in _greedy_pairs(free_prev, free_cur, threshold):
        links.append(ProjectLink(p[0], p[1], c[0], c[1], method, round(sim, 2)))
        taken_prev.add(p)
        taken_cur.add(c)
    free_prev = [p for p in free_prev if p not in taken_prev]
    free_cur = [c for c in free_cur if c not in taken_cur]
    links += [ProjectLink(y, n, None, None, NONE_CUR) for y, n in free_prev]
    links += [ProjectLink(None, None, y, n, NONE_PREV) for y, n in free_cur]
    return links


# a queued pair's key is its similarity, or quick_ratio() as an upper bound of difflib's ratio()
_EXACT, _BOUND = True, False


def _greedy_pairs(prev: list[tuple[int, str]], cur: list[tuple[int, str]], threshold: float):
    """The one-to-one project pairs (similarity, prev, cur, method), in the order they are
    taken: the same as sorting every pair whose :func:`name_similarity` is ≥ ``threshold``
    best first (ties in prev-then-cur order) and taking each pair whose two sides are both
    still free (see :func:`_lazy_greedy`)."""
    norm_p = [normalize_name(n) for _, n in prev]
    norm_c = [normalize_name(n) for _, n in cur]
    queue = _first_keys(norm_p, [_stem(n) for _, n in prev], norm_c, [_stem(n) for _, n in cur],
                        threshold)
    for sim, pi, ci in _lazy_greedy(queue, norm_p, norm_c, threshold):
        yield sim, prev[pi], cur[ci], SAME if sim == 1.0 else SIMILAR


def _lazy_greedy(queue: list[tuple], norm_p: list[str], norm_c: list[str], threshold: float):
    """Greedy one-to-one matching, best pair first: yields (similarity, prev index, cur index)
    in the order of sorting every pair by (-similarity, prev index, cur index) and keeping each
    pair whose two sides are both still free.

    ``queue`` holds (-key, prev index, cur index, exact) for every pair that may reach
    ``threshold``: its similarity (``_EXACT``), or an upper bound of ``SequenceMatcher(None,
    prev, cur).ratio()`` (``_BOUND``). Lazy: ratio() only runs for a pair whose bound reaches
    the top with both sides free, so most pairs are never compared. A popped exact pair is the
    best remaining one: every other pair's exact key sorts at or after its queued key.
    """
    heapq.heapify(queue)
    matchers: dict[int, SequenceMatcher] = {}
    taken_p: set[int] = set()
    taken_c: set[int] = set()
    while queue and len(taken_p) < len(norm_p) and len(taken_c) < len(norm_c):
        key, pi, ci, exact = heapq.heappop(queue)
        if pi in taken_p or ci in taken_c:
            continue
        if exact:
            taken_p.add(pi)
            taken_c.add(ci)
            yield -key, pi, ci
            continue
        sm = matchers.get(ci)
        if sm is None:
            sm = matchers[ci] = SequenceMatcher(None, "", norm_c[ci])
        sm.set_seq1(norm_p[pi])
        sim = sm.ratio()
        if sim >= threshold:
            heapq.heappush(queue, (-sim, pi, ci, _EXACT))


def _first_keys(norm_p: list[str], stem_p: list[str], norm_c: list[str], stem_c: list[str],
                threshold: float) -> list[tuple]:
    """The queue entries (see :func:`_lazy_greedy`) of every project pair that can reach
    ``threshold``: the similarity where :func:`name_similarity` needs no difflib (same name,
    same stem, containment), else quick_ratio() as the bound of ratio()."""
    quick, maybe = _quick_ratios(norm_p, norm_c, threshold)
    pairs = set(zip(*np.nonzero(maybe)))
    by_stem: dict[str, list[int]] = {}
    for pi, st in enumerate(stem_p):
        by_stem.setdefault(st, []).append(pi)
    pairs.update((pi, ci) for ci, st in enumerate(stem_c) for pi in by_stem.get(st, ()))
    keys = []
    for pi, ci in pairs:
        pi, ci = int(pi), int(ci)
        na, nb = norm_p[pi], norm_c[ci]
        if na == nb:
            keys.append((-1.0, pi, ci, _EXACT))
        elif stem_p[pi] == stem_c[ci]:
            keys.append((-0.95, pi, ci, _EXACT))
        elif len(na) >= 4 and len(nb) >= 4 and (na in nb or nb in na):
            keys.append((-0.9, pi, ci, _EXACT))
        elif quick[pi, ci] >= threshold:
            keys.append((-float(quick[pi, ci]), pi, ci, _BOUND))
    return keys


def _quick_ratios(norm_p: list[str], norm_c: list[str], threshold: float):
    """(quick, maybe): quick_ratio() of every pair of names (2 × shared characters / total
    length, an upper bound of ratio()) from character-count arrays, and the pairs that may
    reach ``threshold`` at all — quick_ratio() that high, equal names, or a shorter name whose
    characters all occur in the longer one (the only way it can be contained in it)."""
    chars = {ch: i for i, ch in enumerate(sorted(set("".join(norm_p))))}
    counts_p, counts_c = _char_counts(norm_p, chars), _char_counts(norm_c, chars)
    shared = np.zeros((len(norm_p), len(norm_c)), dtype=np.int64)
    step = max(1, _PAIR_BLOCK // max(1, counts_p.size))  # current names per block of pairs
    for start in range(0, len(norm_c), step):
        block = np.minimum(counts_p[:, None, :], counts_c[None, start:start + step, :])
        shared[:, start:start + step] = block.sum(axis=2)
    len_p = np.array([len(n) for n in norm_p], dtype=np.int64)[:, None]
    len_c = np.array([len(n) for n in norm_c], dtype=np.int64)[None, :]
    total = len_p + len_c
    with np.errstate(invalid="ignore", divide="ignore"):
        quick = 2.0 * shared / total
    shortest = np.minimum(len_p, len_c)
    maybe = (quick >= threshold) | ((shared == shortest) & (shortest >= 4)) | (total == 0)
    return quick, maybe


_PAIR_BLOCK = 1 << 18  # character counts compared at once (one block: 2 MB)


def _char_counts(names: list[str], chars: dict[str, int]) -> np.ndarray:
    """names × characters count array; characters not in ``chars`` go to the last column
    (never shared: the previous names have none there)."""
    width = len(chars) + 1
    codes = np.array([chars.get(ch, width - 1) for name in names for ch in name], dtype=np.int64)
    rows = np.repeat(np.arange(len(names), dtype=np.int64), [len(n) for n in names])
    return np.bincount(rows * width + codes, minlength=len(names) * width).reshape(len(names), width)


def _mapping_key(mapping: Mapping, year: int, name: str, index: dict | None = None):
    for key in ((year, name), (None, name)):
        if key in mapping:
            return key
    norm = normalize_name(name)
    keys = index.get(norm, ()) if index is not None else [k for k in mapping if normalize_name(k[1]) == norm]
    for (y, n) in keys:
        if y is None or y == year:
            return (y, n)
    return None


def _mapping_index(mapping: Mapping) -> dict[str, list]:
    """Normalised previous name -> the mapping's keys with that name, in mapping order."""
    index: dict[str, list] = {}
    for key in mapping:
        index.setdefault(normalize_name(key[1]), []).append(key)
    return index


def read_mapping(path: str | Path) -> Mapping:
    """The 项目对照 sheet of an earlier summary workbook, as the user left it ({} if none).

    A row with both names pairs them; a row with a previous name and an empty current name
    says the project has no successor; rows without a previous name are ignored. Only that
    sheet is read (python-calamine; the old summary may hold tens of thousands of rows).
    """
    from python_calamine import CalamineWorkbook

    path = Path(path)
    if not path.exists():
        return {}
    try:
        wb = CalamineWorkbook.from_path(str(path))
        if MAPPING_SHEET not in wb.sheet_names:
            return {}
        rows = wb.get_sheet_by_name(MAPPING_SHEET).to_python()
    except Exception:  # an unreadable old summary: start afresh
        return {}
    return mapping_from_rows([[_cell_value(v) for v in row] for row in rows])


def _cell_value(v):
    """A calamine value as openpyxl reads it: whole numbers as int, empty cells as None."""
    if isinstance(v, float) and v.is_integer():
        return int(v)
    return None if v == "" else v


def mapping_from_rows(rows) -> Mapping:
    rows = iter(rows)
    header = None
    for row in rows:
        if row and "上年项目名称" in [str(v).strip() if v is not None else "" for v in row]:
            header = [str(v).strip() if v is not None else "" for v in row]
            break
    if header is None:
        return {}
    col = {h: i for i, h in enumerate(header)}
    mapping: Mapping = {}
    for row in rows:
        def get(h):
            i = col.get(h)
            v = row[i] if i is not None and i < len(row) else None
            return None if v is None or str(v).strip() == "" else v

        prev_name = get("上年项目名称")
        if prev_name is None:
            continue
        year = get("上年年度")
        try:
            year = int(year) if year is not None else None
        except (TypeError, ValueError):
            year = None
        cur = get("本年项目名称")
        mapping[(year, str(prev_name).strip())] = None if cur is None else str(cur).strip()
    return mapping


# --- indicators -------------------------------------------------------------------------------


def _unit(target_text: str) -> tuple[bool, str | None]:
    """(quantitative, unit) of a target text; unreadable counts as qualitative, no unit."""
    try:
        t = parse_target(target_text)
    except ValueError:
        return False, None
    return t.quantitative, t.unit


def indicator_similarity(a: str, b: str) -> float:
    na, nb = normalize_name(a), normalize_name(b)
    if na == nb:
        return 1.0
    short, long_ = sorted((na, nb), key=len)
    if len(short) >= 4 and short in long_:
        return 0.9
    return SequenceMatcher(None, na, nb).ratio()


def match_indicators(prev: list, cur: list, threshold: float = INDICATOR_THRESHOLD):
    """Pair indicators (objects with ``name`` and ``target``) by name and unit, one to one:
    the pairs of the same kind (quantitative with the same unit, or both qualitative) whose
    :func:`indicator_similarity` is ≥ ``threshold``, best first (see :func:`_lazy_greedy`).

    Returns (pairs [(prev, cur, similarity)], gone [prev], new [cur]); pairs in current order.
    """
    units_p = [_unit(i.target) for i in prev]
    units_c = [_unit(i.target) for i in cur]
    norm_p = [normalize_name(i.name) for i in prev]
    norm_c = [normalize_name(i.name) for i in cur]
    quick, maybe = _quick_ratios(norm_p, norm_c, threshold)
    queue = []
    for a, b in zip(*np.nonzero(maybe)):
        a, b = int(a), int(b)
        (qp, up), (qc, uc) = units_p[a], units_c[b]
        if qp != qc or (qp and not same_unit(up, uc)):
            continue
        na, nb = norm_p[a], norm_c[b]
        if na == nb:
            queue.append((-1.0, a, b, _EXACT))
        elif len(na) >= 4 and len(nb) >= 4 and (na in nb or nb in na):
            queue.append((-0.9, a, b, _EXACT))
        elif quick[a, b] >= threshold:
            queue.append((-float(quick[a, b]), a, b, _BOUND))
    by_cur = {b: (a, sim) for sim, a, b in _lazy_greedy(queue, norm_p, norm_c, threshold)}
    used_p = {a for a, _ in by_cur.values()}
    pairs = [(prev[by_cur[b][0]], cur[b], by_cur[b][1]) for b in range(len(cur)) if b in by_cur]
    gone = [prev[a] for a in range(len(prev)) if a not in used_p]
    new = [cur[b] for b in range(len(cur)) if b not in by_cur]
    return pairs, gone, new
