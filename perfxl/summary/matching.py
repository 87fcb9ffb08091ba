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
from collections import Counter
from dataclasses import dataclass
from difflib import SequenceMatcher
from pathlib import Path

import numpy as np

from perfxl.rules.targets import parse_target, same_unit

MAPPING_SHEET = "项目对照"
MAPPING_HEADERS = ("上年年度", "上年项目名称", "本年年度", "本年项目名称", "对照方式", "相似度")

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


def _greedy_pairs(prev: list[tuple[int, str]], cur: list[tuple[int, str]], threshold: float):
    """The one-to-one pairs (similarity, prev, cur, method), in the order they are taken: the
    same as sorting every pair whose :func:`name_similarity` is ≥ ``threshold`` best first (ties
    in prev-then-cur order) and taking each pair whose two sides are both still free.

    Lazy greedy: a pair that needs difflib waits in a priority queue under its quick_ratio()
    (an upper bound of ratio()) and ratio() runs only when it reaches the top with both sides
    free. A popped exact pair is the best remaining one: every other pair's exact key sorts at
    or after its queued key.
    """
    norm_p = [normalize_name(n) for _, n in prev]
    norm_c = [normalize_name(n) for _, n in cur]
    queue = _first_keys(norm_p, [_stem(n) for _, n in prev], norm_c, [_stem(n) for _, n in cur],
                        threshold)
    heapq.heapify(queue)
    matchers: dict[int, SequenceMatcher] = {}
    taken_p: set[int] = set()
    taken_c: set[int] = set()
    while queue and len(taken_p) < len(prev) and len(taken_c) < len(cur):
        key, pi, ci, exact = heapq.heappop(queue)
        if pi in taken_p or ci in taken_c:
            continue
        if exact:
            taken_p.add(pi)
            taken_c.add(ci)
            yield -key, prev[pi], cur[ci], SAME if key == -1.0 else SIMILAR
            continue
        sm = matchers.get(ci)
        if sm is None:
            sm = matchers[ci] = SequenceMatcher(None, "", norm_c[ci])
        sm.set_seq1(norm_p[pi])
        sim = sm.ratio()
        if sim >= threshold:
            heapq.heappush(queue, (-sim, pi, ci, True))


def _first_keys(norm_p: list[str], stem_p: list[str], norm_c: list[str], stem_c: list[str],
                threshold: float) -> list[tuple]:
    """The queue entries (-value, prev index, cur index, exact) of every pair that can reach
    ``threshold``: the similarity where :func:`name_similarity` needs no difflib (same name,
    same stem, containment), else quick_ratio() as the bound of ratio().

    quick_ratio() (2 × shared characters / total length) is computed for all pairs at once
    from character-count arrays; a shorter name can only be contained in a longer one when all
    its characters are shared, so pairs below the threshold are dropped before any Python.
    """
    chars = {ch: i for i, ch in enumerate(sorted(set("".join(norm_p))))}
    counts_p = np.zeros((len(norm_p), len(chars) + 1), dtype=np.int32)
    for pi, na in enumerate(norm_p):
        for ch, n in Counter(na).items():
            counts_p[pi, chars[ch]] = n
    len_p = np.array([len(n) for n in norm_p], dtype=np.int64)
    by_stem: dict[str, list[int]] = {}
    for pi, st in enumerate(stem_p):
        by_stem.setdefault(st, []).append(pi)
    keys = []
    for ci, nb in enumerate(norm_c):
        count_b = Counter(nb)
        cols = [chars.get(ch, len(chars)) for ch in count_b]  # unknown characters: a zero column
        shared = np.minimum(counts_p[:, cols], np.array(list(count_b.values()))).sum(axis=1)
        shortest = np.minimum(len_p, len(nb))
        quick = 2.0 * shared / (len_p + len(nb))
        maybe = (quick >= threshold) | ((shared == shortest) & (shortest >= 4))
        for pi in set(np.flatnonzero(maybe).tolist()).union(by_stem.get(stem_c[ci], ())):
            na = norm_p[pi]
            if na == nb:
                keys.append((-1.0, pi, ci, True))
            elif stem_p[pi] == stem_c[ci]:
                keys.append((-0.95, pi, ci, True))
            elif len(na) >= 4 and len(nb) >= 4 and (na in nb or nb in na):
                keys.append((-0.9, pi, ci, True))
            elif quick[pi] >= threshold:
                keys.append((-float(quick[pi]), pi, ci, False))
    return keys


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
    says the project has no successor; rows without a previous name are ignored.
    """
    from openpyxl import load_workbook

    path = Path(path)
    if not path.exists():
        return {}
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception:  # an unreadable old summary: start afresh
        return {}
    try:
        if MAPPING_SHEET not in wb.sheetnames:
            return {}
        return mapping_from_rows(wb[MAPPING_SHEET].iter_rows(values_only=True))
    finally:
        wb.close()


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
    """Pair indicators (objects with ``name`` and ``target``) by name and unit, one to one.

    Returns (pairs [(prev, cur, similarity)], gone [prev], new [cur]); pairs in current order.
    """
    units_p = [_unit(i.target) for i in prev]
    units_c = [_unit(i.target) for i in cur]
    candidates = []
    norm_p = [normalize_name(i.name) for i in prev]
    for b, ic in enumerate(cur):
        qc, uc = units_c[b]
        nb = normalize_name(ic.name)
        sm = None
        for a, na in enumerate(norm_p):
            qp, up = units_p[a]
            if qp != qc or (qp and not same_unit(up, uc)):
                continue
            # exactly indicator_similarity(ip.name, ic.name), difflib index built once per name
            if na == nb:
                sim = 1.0
            else:
                short, long_ = (na, nb) if len(na) <= len(nb) else (nb, na)
                if len(short) >= 4 and short in long_:
                    sim = 0.9
                else:
                    if sm is None:
                        sm = SequenceMatcher(None, "", nb)
                    sm.set_seq1(na)
                    if sm.real_quick_ratio() < threshold or sm.quick_ratio() < threshold:
                        continue
                    sim = sm.ratio()
            if sim >= threshold:
                candidates.append((sim, a, b))
    candidates.sort(key=lambda c: (-c[0], c[1], c[2]))
    used_p: dict[int, tuple[int, float]] = {}
    used_c: set[int] = set()
    for sim, a, b in candidates:
        if a not in used_p and b not in used_c:
            used_p[a] = (b, sim)
            used_c.add(b)
    by_cur = {b: (a, sim) for a, (b, sim) in used_p.items()}
    pairs = [(prev[by_cur[b][0]], cur[b], by_cur[b][1]) for b in range(len(cur)) if b in by_cur]
    gone = [prev[a] for a in range(len(prev)) if a not in used_p]
    new = [cur[b] for b in range(len(cur)) if b not in used_c]
    return pairs, gone, new
