"""Serious adverse events: the reporting clock, the line listing, reports to the sponsor.

Which forms record adverse events, and which of their items hold the term, grade, seriousness
and the moment the site became aware, is declared by each study (`[forms.adverse_event]`), so
this module serves every study. A record whose `serious` item is yes is a serious adverse event
(SAE): from awareness the study's `[safety]` plan gives the site `initial_report_hours` to
send the initial report, then a follow-up every `follow_up_days` until a report is final.
Time comes in as `now` (read once at the edge: the web app's clock, the command line's), so the
clock is tested by moving `now`, never by waiting.

E-mail goes after the commit, never inside it: a mail server that is down cannot lose or hold up
the SAE; each attempt, sent or failed, is recorded (`sae_notice`) and shown with the event.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import smtplib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from email.message import EmailMessage

from sqlalchemy import select

from cairo6.config import MailSettings
from cairo6.errors import InvalidValueError, NotFoundError, StateError
from cairo6.service.permissions import CENTRE_BOUND, Action, allowed, require
from cairo6.service.trial import Trial, allocation
from cairo6.store.audit import Actor
from cairo6.store.engine import StoreSession
from cairo6.store.schema import Centre, FormRecord, Participant, SaeNotice, SaeReport
from cairo6.study.models import Form, SafetyPlan
from cairo6.study.study import Study
from cairo6.study.validate import typed_record

Clock = Callable[[], dt.datetime]


def utc_now() -> dt.datetime:
    """The real clock, in UTC: the default `now` of the web app and the command line."""
    return dt.datetime.now(dt.UTC)


def _utc(moment: dt.datetime) -> dt.datetime:
    # Awareness is entered in UTC (the item's label says so); stored without a zone.
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


@dataclass(frozen=True)
class ReportView:
    """One report sent to the sponsor."""

    number: int
    kind: str
    final: bool
    narrative: str
    submitted_by: str
    submitted_at: dt.datetime


@dataclass(frozen=True)
class NoticeView:
    """One e-mail notification attempt."""

    subject: str
    recipients: str
    status: str
    detail: str
    attempted_at: dt.datetime


@dataclass(frozen=True)
class Due:
    """Where an SAE's reporting stands at `now`."""

    state: str
    """`initial due`, `initial overdue`, `follow-up due`, `follow-up overdue`, `closed`, or
    `awareness missing`."""
    due_at: dt.datetime | None
    overdue_by: dt.timedelta | None

    @property
    def overdue(self) -> bool:
        """Whether a report is late."""
        return self.overdue_by is not None

    def describe(self) -> str:
        """The state in words with the deadline: 'initial overdue by 3 h (due 3 Dec 10:00 UTC)'."""
        if self.due_at is None:
            return self.state
        when = self.due_at.strftime("%d %b %Y %H:%M UTC")
        if self.overdue_by is None:
            return f"{self.state} by {when}"
        return f"{self.state} by {_span(self.overdue_by)} (due {when})"


def _span(delta: dt.timedelta) -> str:
    hours = int(delta.total_seconds() // 3600)
    if hours < 48:
        return f"{max(hours, 0)} h"
    return f"{hours // 24} days"


def due(
    awareness: dt.datetime | None,
    reports: Iterable[ReportView],
    plan: SafetyPlan,
    now: dt.datetime,
) -> Due:
    """The reporting clock of one SAE: initial report within `initial_report_hours` of
    awareness, then a follow-up `follow_up_days` after the last report until one is final."""
    done = sorted(reports, key=lambda r: r.number)
    if any(r.final for r in done):
        return Due("closed", None, None)
    if not done:
        if awareness is None:
            return Due("awareness missing", None, None)
        deadline = _utc(awareness) + dt.timedelta(hours=plan.initial_report_hours)
        state = "initial"
    else:
        deadline = _utc(done[-1].submitted_at) + dt.timedelta(days=plan.follow_up_days)
        state = "follow-up"
    late = _utc(now) - deadline
    if late > dt.timedelta(0):
        return Due(f"{state} overdue", deadline, late)
    return Due(f"{state} due", deadline, None)


@dataclass(frozen=True)
class SaeView:
    """One serious adverse event as the safety pages, listing and reports show it."""

    record_id: int
    study_number: str
    centre: str
    arm: str | None
    """The allocated arm's label, only for roles that may see allocation."""
    form_id: str
    form_label: str
    record_key: str
    term: str
    items: tuple[tuple[str, str], ...]
    """(label, value people read) for every item of the record."""
    grade: str
    onset: str
    end: str
    outcome: str
    criteria: tuple[str, ...]
    awareness: dt.datetime | None
    clock: Due
    reports: tuple[ReportView, ...] = ()
    notices: tuple[NoticeView, ...] = field(default_factory=tuple)


def _role_value(study: Study, form: Form, values: dict[str, object], role: str) -> str:
    assert form.adverse_event is not None
    item_id = form.adverse_event.roles().get(role)
    item = form.item(item_id) if item_id else None
    if item is None or values.get(item.id) is None:
        return ""
    return study.label_of(item, values[item.id])


def _is_serious(form: Form, data: dict[str, object]) -> bool:
    roles = form.adverse_event.roles() if form.adverse_event else {}
    return "serious" in roles and data.get(roles["serious"]) is True


def _visible_rows(
    session: StoreSession, study: Study, actor: Actor, record_id: int | None = None
) -> list[tuple[FormRecord, Participant, Centre]]:
    forms = [f.id for f in study.adverse_event_forms()]
    query = (
        select(FormRecord, Participant, Centre)
        .join(Participant, Participant.id == FormRecord.participant_id)
        .join(Centre, Centre.id == Participant.centre_id)
        .where(FormRecord.form.in_(forms))
        .order_by(FormRecord.id)
    )
    if record_id is not None:
        query = query.where(FormRecord.id == record_id)
    if actor.role in CENTRE_BOUND:
        query = query.where(Participant.centre_id == actor.centre_id)
    out = []
    for row, person, centre in session.execute(query).all():
        if _is_serious(study.form(row.form), row.data):
            out.append((row, person, centre))
    return out


def _view(
    session: StoreSession,
    trial: Trial,
    actor: Actor,
    row: FormRecord,
    person: Participant,
    centre: Centre,
    now: dt.datetime,
) -> SaeView:
    study = trial.definition()
    form = study.form(row.form)
    assert form.adverse_event is not None
    roles = form.adverse_event
    values = typed_record(study, form, row.data)
    reports = tuple(
        ReportView(
            r.number,
            r.kind,
            r.final,
            r.narrative,
            r.submitted_by,
            dt.datetime.fromisoformat(r.submitted_at),
        )
        for r in session.scalars(
            select(SaeReport).where(SaeReport.record_id == row.id).order_by(SaeReport.number)
        )
    )
    notices = tuple(
        NoticeView(
            n.subject, n.recipients, n.status, n.detail, dt.datetime.fromisoformat(n.attempted_at)
        )
        for n in session.scalars(
            select(SaeNotice).where(SaeNotice.record_id == row.id).order_by(SaeNotice.id)
        )
    )
    aware = values.get(roles.aware) if roles.aware else None
    awareness = aware if isinstance(aware, dt.datetime) else None
    arm = None
    if allowed(actor.role, Action.VIEW_ALLOCATION):
        alloc = allocation(session, person.id)
        if alloc is not None:
            arm = next(
                (a.label for a in trial.protocol.arms if a.id == alloc.arm),
                alloc.arm,
            )
    criteria = tuple(
        item.label
        for item_id in roles.criteria
        if (item := form.item(item_id)) is not None and values.get(item_id) is True
    )
    return SaeView(
        record_id=row.id,
        study_number=person.study_number,
        centre=centre.code,
        arm=arm,
        form_id=form.id,
        form_label=form.label,
        record_key=row.record_key,
        term=_role_value(study, form, values, "term"),
        items=tuple(study.shown(form, row.data)),
        grade=_role_value(study, form, values, "grade"),
        onset=_role_value(study, form, values, "onset"),
        end=_role_value(study, form, values, "end"),
        outcome=_role_value(study, form, values, "outcome"),
        criteria=criteria,
        awareness=awareness,
        clock=due(awareness, reports, study.manifest.safety, now),
        reports=reports,
        notices=notices,
    )


def serious_events(trial: Trial, actor: Actor, now: dt.datetime) -> list[SaeView]:
    """Every SAE the actor may see (a centre-bound role: its centre's), oldest first."""
    require(actor, Action.VIEW_SAFETY)
    with trial.db.read() as session:
        rows = _visible_rows(session, trial.definition(), actor)
        return [_view(session, trial, actor, *row, now) for row in rows]


def overdue_events(trial: Trial, actor: Actor, now: dt.datetime) -> list[SaeView]:
    """The SAEs whose initial or follow-up report is late, most overdue first (the dashboard)."""
    if not allowed(actor.role, Action.VIEW_SAFETY):
        return []
    late = [v for v in serious_events(trial, actor, now) if v.clock.overdue]
    return sorted(late, key=lambda v: v.clock.overdue_by or dt.timedelta(0), reverse=True)


def serious_event(trial: Trial, actor: Actor, record_id: int, now: dt.datetime) -> SaeView:
    """One SAE; another centre's, or a record that is no SAE, is not found."""
    require(actor, Action.VIEW_SAFETY)
    with trial.db.read() as session:
        rows = _visible_rows(session, trial.definition(), actor, record_id)
        if not rows:
            raise NotFoundError(
                "serious adverse event", str(record_id), "open it from the list of serious events"
            )
        return _view(session, trial, actor, *rows[0], now)


def submit_report(
    trial: Trial,
    actor: Actor,
    record_id: int,
    narrative: str,
    *,
    final: bool,
    now: dt.datetime,
    mail: MailSettings,
) -> SaeView:
    """Record the site's next report of an SAE (initial, then follow-ups), audited in one
    transaction; then notify by e-mail and record whether that went."""
    require(actor, Action.REPORT_SAE)
    text = narrative.strip()
    if not text:
        raise InvalidValueError(
            "narrative", narrative, "what happened, what was done, the current state", "write it"
        )
    with trial.db.write(actor, insert_reason="serious adverse event report") as session:
        rows = _visible_rows(session, trial.definition(), actor, record_id)
        if not rows:
            raise NotFoundError(
                "serious adverse event", str(record_id), "open it from the list of serious events"
            )
        row, person, _centre = rows[0]
        require(actor, Action.REPORT_SAE, person.centre_id)
        earlier = session.scalars(select(SaeReport).where(SaeReport.record_id == row.id)).all()
        if any(r.final for r in earlier):
            raise StateError(
                f"the final report of this event ({person.study_number}) was sent",
                "correct the event's record if something changed; the record keeps the history",
            )
        report = SaeReport(
            record_id=row.id,
            participant_id=person.id,
            number=len(earlier) + 1,
            kind="follow_up" if earlier else "initial",
            final=final,
            narrative=text,
            submitted_by=actor.username,
            submitted_at=_utc(now).isoformat(timespec="seconds"),
        )
        session.add(report)
        session.flush()
        report_id = report.id
    view = serious_event(trial, actor, record_id, now)
    kind = "final" if final else ("initial" if view.reports[-1].number == 1 else "follow-up")
    notify(trial, actor, view, f"{kind} report {view.reports[-1].number}", now, mail, report_id)
    return serious_event(trial, actor, record_id, now)


def notify_if_new(
    trial: Trial, actor: Actor, record_id: int, now: dt.datetime, mail: MailSettings
) -> bool:
    """After a record was saved: tell the configured addresses of a newly serious event
    (once per event). Returns whether a notice was attempted."""
    if not allowed(actor.role, Action.VIEW_SAFETY):
        return False
    with trial.db.read() as session:
        rows = _visible_rows(session, trial.definition(), actor, record_id)
        if not rows:
            return False
        told = session.scalars(
            select(SaeNotice.id).where(
                SaeNotice.record_id == record_id, SaeNotice.report_id.is_(None)
            )
        ).first()
        if told is not None:
            return False
        view = _view(session, trial, actor, *rows[0], now)
    notify(trial, actor, view, "new serious adverse event", now, mail, None)
    return True


def _message(view: SaeView, what: str, mail: MailSettings) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = f"SAE {view.study_number}: {view.term} ({what})"
    message["From"] = mail.sender
    message["To"] = ", ".join(mail.sae_notify)
    lines = [
        f"Serious adverse event, {what}.",
        "",
        f"Participant: {view.study_number} (centre {view.centre})",
        f"Form: {view.form_label} {view.record_key}".rstrip(),
        f"Event: {view.term}",
        f"Seriousness: {', '.join(view.criteria) or 'not given'}",
        f"Site aware: {view.awareness.isoformat() if view.awareness else 'not given'} (UTC)",
        f"Reporting: {view.clock.describe()}",
    ]
    if view.reports:
        last = view.reports[-1]
        lines += ["", f"Report {last.number} ({last.kind}) by {last.submitted_by}:", last.narrative]
    lines += ["", "Open the event in the trial system for the full record and the PDF report."]
    message.set_content("\n".join(lines))
    return message


def notify(
    trial: Trial,
    actor: Actor,
    view: SaeView,
    what: str,
    now: dt.datetime,
    mail: MailSettings,
    report_id: int | None,
) -> str:
    """Send one notification and record the attempt; returns `sent`, `failed` or
    `not_configured`. Never raises for a mail problem: the event is already committed."""
    message = _message(view, what, mail)
    status, detail = "sent", ""
    if not mail.configured:
        status, detail = "not_configured", "set CAIRO6_SMTP_HOST and CAIRO6_SAE_NOTIFY"
    else:
        try:
            with smtplib.SMTP(mail.smtp_host or "", mail.smtp_port, timeout=10) as server:
                server.send_message(message)
        except (OSError, smtplib.SMTPException) as exc:
            status, detail = "failed", f"{type(exc).__name__}: {exc}"[:500]
    with trial.db.write(actor, insert_reason="SAE notification attempted") as session:
        person = session.scalars(
            select(Participant).where(Participant.study_number == view.study_number)
        ).one()
        session.add(
            SaeNotice(
                record_id=view.record_id,
                participant_id=person.id,
                report_id=report_id,
                subject=str(message["Subject"]),
                recipients=", ".join(mail.sae_notify),
                status=status,
                detail=detail,
                attempted_at=_utc(now).isoformat(timespec="seconds"),
            )
        )
    return status


LISTING_COLUMNS = (
    "study_number", "centre", "arm", "form", "record", "term", "grade", "onset", "end",
    "outcome", "seriousness", "site_aware_utc", "reports", "reporting",
)  # fmt: skip


def listing_rows(views: Iterable[SaeView]) -> list[dict[str, str]]:
    """The SAE line listing, one row per event, as people read it."""
    return [
        {
            "study_number": v.study_number,
            "centre": v.centre,
            "arm": v.arm or "",
            "form": v.form_label,
            "record": v.record_key,
            "term": v.term,
            "grade": v.grade,
            "onset": v.onset,
            "end": v.end,
            "outcome": v.outcome,
            "seriousness": "; ".join(v.criteria),
            "site_aware_utc": v.awareness.isoformat(timespec="minutes") if v.awareness else "",
            "reports": str(len(v.reports)),
            "reporting": v.clock.describe(),
        }
        for v in views
    ]


def listing_csv(views: Iterable[SaeView]) -> str:
    """The line listing as CSV (UTF-8, a header row)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=LISTING_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(listing_rows(views))
    return buffer.getvalue()
