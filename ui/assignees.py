"""Who a generated follow-up may go to when its customer has no account manager (both the churn
page's "add to plan" and the follow-up page's generator offer the same choice)."""

from __future__ import annotations

from core import followup
from ui.context import Ctx


def fallback_choices(ctx: Ctx, nobody: str) -> tuple[list[str], dict[str, str], int]:
    """Active admins and managers as options (``nobody`` last), their labels, and the position of
    the signed-in user (the default)."""
    people = followup.assignees(ctx.con)
    labels = {row.assignee: (row.assignee if row.display_name in (row.assignee, row.username)
                             else f"{row.display_name} ({row.assignee})")
              for row in people.itertuples()}
    options = [*labels, nobody]
    me = followup.assignee_of(ctx.user)
    return options, labels, options.index(me) if me in labels else 0
