"""The reports page: the stopping-rule panel for the monitoring committee, and the report.

Every number comes from the same path the `cairo6 report` command takes: the trial record is
extracted (`store.extract.extract`), analysed (`analysis.engine.analyse`) and laid out or
written by the report package (`report.run`). The generated report is written into a temporary
directory that is gone before the answer leaves, so the process keeps nothing.
"""

from __future__ import annotations

import datetime as dt
import io
import tempfile
import zipfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.engine import make_url

from cairo6.analysis.engine import analyse
from cairo6.analysis.spec import parse_spec, spec_for
from cairo6.report.document import build_report
from cairo6.report.run import report_input, run_report
from cairo6.service.permissions import Action, require
from cairo6.service.trial_lock import report_status
from cairo6.store.extract import extract
from cairo6.web import auth
from cairo6.web.context import Web, WebApp, page_csrf, signed_in
from cairo6.web.render import page

router = APIRouter(include_in_schema=False)
writes = APIRouter(include_in_schema=False, dependencies=[Depends(page_csrf)])
Signed = Annotated[auth.SignedIn, Depends(signed_in)]

MET = "criterion met — consider stopping"
NOT_MET = "not met"


REPORT_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)


def _source(web: WebApp) -> str:
    """The database the report names: never a password, and for SQLite only the file name."""
    url = make_url(web.db.url)
    if url.get_backend_name() == "sqlite":
        return Path(url.database or "").name or "sqlite"
    return url.render_as_string(hide_password=True)


def _generic(web: WebApp) -> bool:
    """A study without a table layout gets the report generated from its definition."""
    study = web.trial().study
    return study is not None and study.manifest.layout is None


def _write(web: WebApp, out: Path) -> None:
    """Write every report output into `out`, exactly as `cairo6 report` does."""
    trial = web.trial()
    if _generic(web):
        from cairo6.report.study_report import write_report
        from cairo6.service.study_data import study_report

        write_report(study_report(trial), out)
        return
    frames = extract(web.db)
    run_report(
        trial.protocol,
        frames,
        out,
        study=trial.study,
        source=_source(web),
        data_status=report_status(web.db),
    )


@router.get("/reports", name="reports_page")
def reports_page(request: Request, web: Web, user: Signed) -> Response:
    """Stopping-rule verdicts, the primary outcomes and the data-quality count; generate form."""
    require(user.actor, Action.VIEW_REPORT)
    trial = web.trial()
    protocol = trial.protocol
    if _generic(web):
        from cairo6.service.study_data import study_report

        generic = study_report(trial)
        table = next(t for t in generic.tables if t.id == "endpoints")
        primary_ids = {e.label for e in generic.study.endpoints if e.kind == "primary"}
        return page(
            request,
            "reports.html",
            {
                "trial": protocol.trial,
                "generic": generic,
                "endpoint_columns": table.columns,
                "endpoint_rows": [r for r in table.rows if r[0] in primary_ids],
                "data_status": generic.data_status,
            },
        )
    study = trial.study
    spec = (
        parse_spec(study.layout_text)
        if study and study.layout_text
        else spec_for(protocol.trial.id)
    )
    result = analyse(protocol, extract(web.db), spec, study)
    status = report_status(web.db)
    report = build_report(
        report_input(protocol, spec, result, None, _source(web), study=study, data_status=status)
    )
    verdicts = [(v, MET if v.met else NOT_MET) for v in report.stopping]
    return page(
        request,
        "reports.html",
        {
            "trial": protocol.trial,
            "report": report,
            "verdicts": verdicts,
            "primary": report.primary_effects(),
            "warning_count": len(report.warnings),
            "data_status": status,
        },
    )


@router.get("/reports/report.html", name="report_html")
def report_html(web: Web, user: Signed) -> Response:
    """The HTML report, shown in the browser."""
    require(user.actor, Action.VIEW_REPORT)
    with tempfile.TemporaryDirectory(prefix="cairo6-report-") as tmp:
        out = Path(tmp)
        _write(web, out)
        html = (out / "report.html").read_text(encoding="utf-8")
    # The report is a self-contained file with its stylesheet inline and no scripts: allow
    # exactly that, nothing else.
    return HTMLResponse(html, headers={"Content-Security-Policy": REPORT_CSP})


@writes.post("/reports/generate", name="report_generate")
def report_generate(web: Web, user: Signed) -> Response:
    """Every report output in one zip file, as a download."""
    require(user.actor, Action.VIEW_REPORT)
    buffer = io.BytesIO()
    with tempfile.TemporaryDirectory(prefix="cairo6-report-") as tmp:
        out = Path(tmp)
        _write(web, out)
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(out.rglob("*")):
                if path.is_file():
                    archive.write(path, path.relative_to(out).as_posix())
    name = f"cairo6-report-{dt.date.today().isoformat()}.zip"
    return Response(
        buffer.getvalue(),
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
