"""Read a study definition folder into a validated `Study`, reporting every problem found.

`study_from_texts` is pure (file texts in, model out); `read_study` reads the folder. Every
problem names its file and the key inside it (list items by id), and one run reports them all:
a typo in one form still lets the cross-references of every other part be checked.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar, get_args, get_origin

from pydantic import BaseModel, TypeAdapter, ValidationError

from cairo6.errors import ProtocolError, StudyError, StudyIssue
from cairo6.protocol.loader import issues_from_error, protocol_from_dict
from cairo6.study.checks import cross_check, declared_in
from cairo6.study.models import (
    AnalysisFile,
    ChecksFile,
    FlowFile,
    FormsFile,
    Manifest,
    ScheduleFile,
)
from cairo6.study.study import Study, regimen_codelist, terminology_codelists

MANIFEST = "study.toml"
DEFAULT_STUDY = "cairo6"

_M = TypeVar("_M", bound=BaseModel)


def _parse_toml(name: str, text: str, issues: list[StudyIssue]) -> dict[str, Any] | None:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        issues.append(StudyIssue(name, "(file)", f"not valid TOML: {exc}"))
        return None


def _validate(
    name: str, raw: dict[str, Any], model: type[_M], issues: list[StudyIssue]
) -> dict[str, Any]:
    """Validate a file section by section, keeping the valid list items for cross-checks."""
    parts: dict[str, Any] = {}
    for key in raw:
        if key not in model.model_fields:
            issues.append(
                StudyIssue(name, key, "unknown key; allowed: " + ", ".join(model.model_fields))
            )
    for key, info in model.model_fields.items():
        if key not in raw:
            if info.is_required():
                issues.append(StudyIssue(name, key, "required key is missing"))
            continue
        adapter: TypeAdapter[Any] = TypeAdapter(info.annotation)  # type: ignore[arg-type]
        try:
            parts[key] = adapter.validate_python(raw[key])
            if info.metadata and isinstance(parts[key], list):
                # min_length lives in the field's metadata; an empty required list is an error.
                min_len = next((m.min_length for m in info.metadata if hasattr(m, "min_length")), 0)
                if len(parts[key]) < (min_len or 0):
                    issues.append(StudyIssue(name, key, f"needs at least {min_len} entry"))
        except ValidationError as exc:
            issues += [
                StudyIssue(name, i.key, i.message) for i in issues_from_error(exc, raw, (key,))
            ]
            if get_origin(info.annotation) is list and isinstance(raw[key], list):
                item: TypeAdapter[Any] = TypeAdapter(get_args(info.annotation)[0])
                kept = []
                for value in raw[key]:
                    try:
                        kept.append(item.validate_python(value))
                    except ValidationError:
                        continue
                parts[key] = kept
    return parts


def _file(
    texts: Mapping[str, str], name: str | None, model: type[_M], issues: list[StudyIssue]
) -> dict[str, Any]:
    if name is None:
        return {}
    if name not in texts:
        issues.append(StudyIssue(name, "(file)", "named in study.toml but not found"))
        return {}
    raw = _parse_toml(name, texts[name], issues)
    return {} if raw is None else _validate(name, raw, model, issues)


def study_from_texts(texts: Mapping[str, str], source: str = "<study>") -> Study:
    """Validate a study from the texts of its files; raise `StudyError` listing every problem."""
    issues: list[StudyIssue] = []
    if MANIFEST not in texts:
        raise StudyError(source, [StudyIssue(MANIFEST, "(file)", "missing; every study has one")])
    raw_manifest = _parse_toml(MANIFEST, texts[MANIFEST], issues)
    if raw_manifest is None:
        raise StudyError(source, issues)
    try:
        manifest = Manifest.model_validate(raw_manifest)
    except ValidationError as exc:
        raise StudyError(
            source,
            [
                StudyIssue(MANIFEST, i.key, i.message)
                for i in issues_from_error(exc, raw_manifest, ())
            ],
        ) from exc

    protocol = None
    if manifest.protocol not in texts:
        issues.append(StudyIssue(manifest.protocol, "(file)", "named in study.toml but not found"))
    else:
        raw_protocol = _parse_toml(manifest.protocol, texts[manifest.protocol], issues)
        if raw_protocol is not None:
            try:
                protocol = protocol_from_dict(raw_protocol, manifest.protocol)
            except ProtocolError as exc:
                issues += [StudyIssue(manifest.protocol, i.key, i.message) for i in exc.issues]

    forms = _file(texts, manifest.forms, FormsFile, issues)
    raw_forms = (
        _parse_toml(manifest.forms, texts[manifest.forms], []) if manifest.forms in texts else None
    )
    checks = _file(texts, manifest.checks, ChecksFile, issues)
    schedule = _file(texts, manifest.schedule, ScheduleFile, issues)
    analysis = _file(texts, manifest.analysis, AnalysisFile, issues)
    flow = _file(texts, manifest.flow, FlowFile, issues)
    for optional in (manifest.layout, manifest.published):
        if optional is not None:
            if optional not in texts:
                issues.append(StudyIssue(optional, "(file)", "named in study.toml but not found"))
            else:
                _parse_toml(optional, texts[optional], issues)

    from_protocol = regimen_codelist(protocol) if protocol is not None else None
    declared = forms.get("codelists", [])
    named = {i.codelist for f in forms.get("forms", []) for i in f.items() if i.codelist}
    standard = terminology_codelists(named - {c.id for c in declared})
    study = Study(
        manifest=manifest,
        protocol=protocol,
        codelists=(*declared, *standard, *([from_protocol] if from_protocol else [])),
        forms=tuple(forms.get("forms", [])),
        checks=tuple(checks.get("checks", [])),
        schedule=tuple(schedule.get("events", [])),
        populations=tuple(analysis.get("populations", [])),
        endpoints=tuple(analysis.get("endpoints", [])),
        comparisons=analysis.get("comparisons"),
        baseline_forms=tuple(analysis.get("baseline_forms", [])),
        flow=tuple(flow.get("stages", [])),
        layout_text=texts.get(manifest.layout) if manifest.layout else None,
        published_text=texts.get(manifest.published) if manifest.published else None,
        course=forms.get("course"),
    )
    issues += cross_check(study, declared_in(raw_forms))
    if issues:
        raise StudyError(source, issues)
    return study


def read_study_texts(folder: str | Path) -> dict[str, str]:
    """The text of every TOML file of a study folder, by file name."""
    path = Path(folder)
    if not (path / MANIFEST).is_file():
        raise StudyError(
            str(path),
            [StudyIssue(MANIFEST, "(file)", f"no {MANIFEST} in {path}; is this a study folder?")],
        )
    texts: dict[str, str] = {}
    for file in sorted(path.glob("*.toml")):
        try:
            texts[file.name] = file.read_text(encoding="utf-8")
        except OSError as exc:
            raise StudyError(
                str(path), [StudyIssue(file.name, "(file)", f"cannot be read: {exc.strerror}")]
            ) from exc
    return texts


def read_study(folder: str | Path) -> Study:
    """Read and validate the study definition in a folder."""
    study = study_from_texts(read_study_texts(folder), str(folder))
    return study.with_folder(Path(folder))


def bundled_study_folder(name: str = DEFAULT_STUDY) -> Path:
    """The folder of a study shipped with the package (`cairo6`, `indo_rct`)."""
    root = resources.files("cairo6.studies").joinpath(name)
    return Path(str(root))


def bundled_studies() -> list[str]:
    """The names of the studies shipped with the package."""
    root = Path(str(resources.files("cairo6.studies")))
    return sorted(p.name for p in root.iterdir() if (p / MANIFEST).is_file())


def resolve_study(name_or_folder: str) -> tuple[Study, dict[str, str]]:
    """A study by folder path or bundled name (`indo-rct` and `indo_rct` alike), with its files."""
    path = Path(name_or_folder)
    if not path.is_dir():
        bundled = name_or_folder.replace("-", "_").lower()
        if bundled not in bundled_studies():
            raise StudyError(
                name_or_folder,
                [
                    StudyIssue(
                        MANIFEST,
                        "(folder)",
                        "no such study folder, and no bundled study of that name; bundled: "
                        + ", ".join(bundled_studies()),
                    )
                ],
            )
        path = bundled_study_folder(bundled)
    texts = read_study_texts(path)
    return study_from_texts(texts, str(path)).with_folder(path), texts


def bundled_study_for(trial_id: str) -> Study | None:
    """The bundled study whose protocol has this trial id (for databases created from a
    protocol file alone), or None."""
    for name in bundled_studies():
        folder = bundled_study_folder(name)
        manifest = tomllib.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        if manifest.get("id") == trial_id:
            return read_study(folder)
    return None
