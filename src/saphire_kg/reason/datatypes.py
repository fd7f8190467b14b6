"""The OWL 2 datatype map HermiT accepts, and which literal values fit which datatype."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from rdflib import Literal
from rdflib.term import Node

from ..namespaces import OWL, RDF, RDFS, XSD
from ..validate import short

# The OWL 2 datatype map (https://www.w3.org/TR/owl2-syntax/#Datatype_Maps), the only datatypes
# HermiT accepts; each with the family whose value spaces overlap.
_DECIMALS = {
    "decimal",
    "integer",
    "nonNegativeInteger",
    "nonPositiveInteger",
    "positiveInteger",
    "negativeInteger",
    "long",
    "int",
    "short",
    "byte",
    "unsignedLong",
    "unsignedInt",
    "unsignedShort",
    "unsignedByte",
}
_STRINGS = {"string", "normalizedString", "token", "language", "Name", "NCName", "NMTOKEN"}
FAMILY: dict[str, str] = {
    **{str(XSD[n]): "decimal" for n in _DECIMALS},
    str(OWL.real): "decimal",
    str(OWL.rational): "decimal",
    **{str(XSD[n]): "string" for n in _STRINGS},
    str(RDF.PlainLiteral): "plain",
    str(RDF.langString): "plain",
    str(RDF.XMLLiteral): "xml",
    str(RDFS.Literal): "any",
    str(XSD.double): "double",
    str(XSD.float): "float",
    str(XSD.boolean): "boolean",
    str(XSD.hexBinary): "hexBinary",
    str(XSD.base64Binary): "base64Binary",
    str(XSD.anyURI): "anyURI",
    str(XSD.dateTime): "dateTime",
    str(XSD.dateTimeStamp): "dateTime",
}
_INTEGER_SIGN = {
    str(XSD.nonNegativeInteger): lambda v: v >= 0,
    str(XSD.positiveInteger): lambda v: v > 0,
    str(XSD.nonPositiveInteger): lambda v: v <= 0,
    str(XSD.negativeInteger): lambda v: v < 0,
}


def supported(term: Node) -> bool:
    """False for a literal whose datatype HermiT refuses (not in the OWL 2 datatype map)."""
    if not isinstance(term, Literal) or term.language or term.datatype is None:
        return True
    return str(term.datatype) in FAMILY


def value_of(lit: Literal) -> tuple[str, object] | None:
    """A literal's OWL value as (family, value), or None when its lexical form is not valid."""
    family = (
        FAMILY.get(str(lit.datatype))
        if lit.datatype is not None
        else ("plain" if lit.language else "string")
    )
    if family is None:
        return None
    if family == "decimal":
        try:
            return family, Decimal(str(lit))
        except InvalidOperation:
            return None
    if family in ("double", "float"):
        try:
            return family, float(str(lit))
        except ValueError:
            return None
    if family == "boolean":
        text = str(lit)
        return (family, text in ("true", "1")) if text in ("true", "false", "1", "0") else None
    if family == "plain":
        return family, (str(lit), lit.language)
    return family, str(lit)


def fits(lit: Literal, datatype: str) -> bool:
    """Whether the literal's value is in the datatype's value space (OWL 2: by value, so an
    xsd:integer fits xsd:decimal, while xsd:double and xsd:decimal share no value)."""
    range_family = FAMILY.get(datatype)
    value = value_of(lit)
    if range_family is None or range_family == "any":
        return True
    if value is None:
        return False
    family, v = value
    if range_family == "plain":
        return family in ("plain", "string")
    if range_family != family:
        return False
    if (
        family == "decimal"
        and datatype != str(XSD.decimal)
        and datatype not in (str(OWL.real), str(OWL.rational))
    ):
        assert isinstance(v, Decimal)
        if v != v.to_integral_value():
            return False
        check = _INTEGER_SIGN.get(datatype)
        return check is None or bool(check(v))
    return True


def literal_text(lit: Node) -> str:
    """A literal for a message: its lexical form and datatype (`1.8 typed xsd:double`)."""
    if not isinstance(lit, Literal):
        return short(str(lit))
    if lit.language:
        return f'"{lit}"@{lit.language}'
    if lit.datatype is None or lit.datatype == XSD.string:
        return f'"{lit}"'
    return f"{lit} typed {short(str(lit.datatype))}"
