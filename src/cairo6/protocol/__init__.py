"""The trial protocol as data: typed models, the rule language and the TOML loader."""

from cairo6.protocol.loader import (
    default_protocol,
    default_protocol_text,
    parse_protocol,
    protocol_from_dict,
    read_protocol_file,
)
from cairo6.protocol.models import (
    Arm,
    Criterion,
    DoseUnit,
    Drug,
    Endpoint,
    Event,
    Factor,
    FactorLevel,
    ImbalanceMeasure,
    Phase,
    Protocol,
    Randomization,
    RandomizationMethod,
    Regimen,
    Window,
)
from cairo6.protocol.rules import Condition, CrfField, FieldType

__all__ = [
    "Arm",
    "Condition",
    "CrfField",
    "Criterion",
    "DoseUnit",
    "Drug",
    "Endpoint",
    "Event",
    "Factor",
    "FactorLevel",
    "FieldType",
    "ImbalanceMeasure",
    "Phase",
    "Protocol",
    "Randomization",
    "RandomizationMethod",
    "Regimen",
    "Window",
    "default_protocol",
    "default_protocol_text",
    "parse_protocol",
    "protocol_from_dict",
    "read_protocol_file",
]
