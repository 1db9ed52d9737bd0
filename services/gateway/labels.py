"""What the contracts' codes are called on the pages (marked for translation, translated where shown)."""

from __future__ import annotations

import re
from typing import Any

from services.gateway.i18n import N_, format_date, gettext

ORG_KIND = {
    "state_body": N_("State body"),
    "public_council": N_("Public council"),
    "ngo": N_("NGO"),
    "research_education": N_("University or research centre"),
    "foundation": N_("Foundation"),
    "party": N_("Political party"),
    "trade_union": N_("Trade union"),
    "media": N_("Media"),
    "business": N_("Business association"),
    "international": N_("International organization"),
    "other": N_("Other"),
}

ORG_LEVEL = {
    "republican": N_("Republican"),
    "regional": N_("Regional"),
    "district": N_("District"),
}

MEMBERSHIP_ROLE = {
    "chair": N_("Chair"),
    "deputy_chair": N_("Deputy chair"),
    "secretary": N_("Secretary"),
    "member": N_("Member"),
    "head": N_("Head"),
    "deputy_head": N_("Deputy head"),
    "representative": N_("Representative"),
    "employee": N_("Employee"),
}

SECTOR = {
    "state": N_("State bodies"),
    "civil_society": N_("Civil society"),
    "expert": N_("Experts"),
    "business": N_("Business"),
    "media": N_("Media"),
    "international": N_("International organizations"),
}
SECTORS = tuple(SECTOR)

SESSION_KIND = {
    "round_table": N_("Round table"),
    "dialogue_platform": N_("Dialogue platform"),
    "council_meeting": N_("Council meeting"),
    "coordination_council": N_("Coordination council"),
    "public_hearing": N_("Public hearing"),
    "working_group": N_("Working group"),
    "civic_forum": N_("Civic forum"),
    "breakout": N_("Breakout session"),
    "plenary": N_("Plenary session"),
}

SESSION_FORMAT = {
    "offline": N_("In person"),
    "online": N_("Online"),
    "hybrid": N_("Hybrid"),
}

SESSION_STATUS = {
    "draft": N_("Draft"),
    "scheduled": N_("Scheduled"),
    "in_progress": N_("In progress"),
    "concluded": N_("Held"),
    "cancelled": N_("Cancelled"),
}

PARTICIPANT_ROLE = {
    "chair": N_("Chair"),
    "moderator": N_("Moderator"),
    "speaker": N_("Speaker"),
    "participant": N_("Participant"),
    "observer": N_("Observer"),
    "secretary": N_("Secretary"),
}

RECOMMENDATION_STATUS = {
    "draft": N_("Draft"),
    "adopted": N_("Adopted"),
    "sent": N_("Sent to the state body"),
    "answered": N_("Answered"),
    "in_progress": N_("Being implemented"),
    "implemented": N_("Implemented"),
    "not_implemented": N_("Not implemented"),
}
# The statuses a visitor can filter by (drafts are never public).
PUBLIC_RECOMMENDATION_STATUSES = ("adopted", "sent", "answered", "in_progress", "implemented", "not_implemented")

DECISION = {
    "accepted": N_("Accepted"),
    "partially_accepted": N_("Partially accepted"),
    "rejected": N_("Rejected"),
}

FINDING_SEVERITY = {
    "violation": N_("Violation"),
    "warning": N_("Warning"),
}


def finding_message(finding: Any, check: Any, org_names: dict[int, str]) -> str:
    """A composition finding in the page's language (the registry words them in English)."""
    code = finding.code
    low, high = check.size_range
    if code == "size_below_minimum":
        return gettext("%(count)s members; the law requires at least %(minimum)s.",
                       count=check.member_count, minimum=low)
    if code == "size_above_maximum":
        return gettext("%(count)s members; the law allows at most %(maximum)s.",
                       count=check.member_count, maximum=high)
    if code == "civil_society_share_too_low":
        return gettext("%(civil)s of %(count)s members represent civil society: fewer than the law requires.",
                       civil=check.civil_society_count, count=check.member_count)
    if code == "several_members_from_one_ngo":
        name = org_names.get(finding.org_ids[0], "") if finding.org_ids else ""
        return gettext("%(count)s members represent «%(org)s»; one organization may have only one.",
                       count=len(finding.person_ids), org=name)
    if code == "no_chair":
        return gettext("The council has no chair.")
    if code == "chair_from_state_body":
        return gettext("The chair must be elected from members who are not in public service.")
    if code == "term_unknown":
        return gettext("The end of the current composition's term is not recorded.")
    if code == "term_expired":
        return gettext("The composition's term ended on %(date)s.", date=format_date(check.term_ends_on))
    if code == "renewal_due":
        return gettext("The term ends on %(date)s: forming the new composition starts two months before.",
                       date=format_date(check.term_ends_on))
    if code == "not_attached":
        return gettext("The council is not attached to a state body.")
    return str(finding.message)


_ESCALATED_FROM = re.compile(r"^escalated from recommendation (\d+): (.*)$", re.DOTALL)
SYSTEM_NOTES = {
    "sent with the published protocol": N_("sent with the published protocol"),
    "first progress report": N_("first progress report"),
}


def history_note(note: str | None) -> str | None:
    """A status change's note; the notes the dialogue service writes itself are translated."""
    if not note:
        return note
    if note in SYSTEM_NOTES:
        return gettext(SYSTEM_NOTES[note])
    if match := _ESCALATED_FROM.match(note):
        return gettext("escalated from recommendation No. %(id)s: %(reason)s", id=match[1], reason=match[2])
    return note
