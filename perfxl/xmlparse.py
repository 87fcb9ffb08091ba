"""How the reader (:mod:`perfxl.reader`) and the rewrite check (:mod:`perfxl.rewrite`) parse a
workbook part's XML with expat: element names with their namespace resolved (``"URI}local"``,
whatever prefix a producer wrote), and a DTD or an entity declaration refused with defusedxml's
exceptions (both ``ValueError``), so no entity is ever expanded. (The gate's streaming sheet
counter in :mod:`perfxl.safety` refuses them itself, as its own finding H959.)"""

from __future__ import annotations

from xml.parsers import expat

from defusedxml import DTDForbidden, EntitiesForbidden


def parser(**options) -> "expat.XMLParserType":
    """A namespace-resolving expat parser that refuses DTDs and entities; ``options`` go to
    :func:`xml.parsers.expat.ParserCreate` (e.g. ``intern``)."""
    p = expat.ParserCreate(namespace_separator="}", **options)
    p.StartDoctypeDeclHandler = _refuse_doctype
    p.EntityDeclHandler = _refuse_entity
    return p


def _refuse_doctype(name, sysid, pubid, _has_internal) -> None:
    raise DTDForbidden(name, sysid, pubid)


def _refuse_entity(name, _is_parameter, value, base, sysid, pubid, notation) -> None:
    raise EntitiesForbidden(name, value, base, sysid, pubid, notation)
