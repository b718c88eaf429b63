"""Access incidents and service requests: the service desk's daily bread."""

from typing import Final

from keel.demo.topics.base import R, Report, Topic

ACCESS: Final[tuple[Topic, ...]] = (
    Topic(
        category="Access",
        subcategory="Password reset",
        group="service-desk",
        service=None,
        cis=(),
        desk_fixable=True,
        reports=(
            Report(
                levels="LM",
                title="Forgot my password after the holidays",
                description="I was away three weeks and cannot remember my password.",
                diagnosis="Verified the caller's identity with the callback procedure.",
                code=R.SOLVED_REMOTELY,
                fix="Set a temporary password; the caller changed it at sign-in.",
            ),
            Report(
                levels="MH",
                title="Account locked after changing my password",
                description="I changed my password this morning and now my account keeps getting locked.",
                diagnosis="The lockouts come from the caller's phone, which still uses the old password for mail.",
                code=R.SOLVED_PERMANENTLY,
                fix="Updated the password on the caller's phone and unlocked the account.",
            ),
            Report(
                levels="LH",
                title="Password expired, cannot sign in from home",
                description=(
                    "Windows says my password has expired, but I am at home and cannot change it without the VPN."
                ),
                diagnosis="The caller is enrolled in self-service password reset but never used it.",
                code=R.SOLVED_REMOTELY,
                fix="Reset the password through self-service together with the caller.",
            ),
        ),
    ),
    Topic(
        category="Access",
        subcategory="Permissions",
        group="service-desk",
        service=None,
        cis=(),
        desk_fixable=True,
        reports=(
            Report(
                levels="LM",
                title="No access to the Finance shared folder after my team move",
                description=(
                    "I moved to the finance team on Monday but still get 'Access denied' on the Finance folder."
                ),
                diagnosis="The caller's manager approved the access in writing.",
                code=R.SOLVED_PERMANENTLY,
                fix="Added the caller to the Finance-Share group.",
            ),
            Report(
                levels="LL",
                title="Need edit rights on the Marketing team site",
                description="I can read the Marketing site but cannot upload the new brochure.",
                diagnosis="The site owner approved edit rights for the caller.",
                code=R.SOLVED_PERMANENTLY,
                fix="Granted edit rights on the Marketing site.",
            ),
        ),
    ),
    Topic(
        category="Access",
        subcategory="Permissions",
        group="applications",
        service="ERP",
        cis=("erp-app-01",),
        desk_fixable=False,
        reports=(
            Report(
                levels="MM",
                title="Cannot approve purchase orders in the ERP",
                description="The Approve button is greyed out for me although I am the budget owner.",
                diagnosis="The ERP release strategy still lists the caller's predecessor as approver.",
                code=R.SOLVED_PERMANENTLY,
                fix="Updated the release strategy with the caller as approver for cost centre 4100.",
            ),
        ),
    ),
    Topic(
        category="Service request",
        subcategory="How-to question",
        group="service-desk",
        service=None,
        cis=(),
        desk_fixable=True,
        reports=(
            Report(
                levels="LL",
                title="How do I set up an out-of-office reply?",
                description="I am on leave from Friday. How do I set an automatic reply in Outlook on the web?",
                diagnosis="Sent the knowledge article on automatic replies.",
                code=R.USER_ERROR,
                fix="Walked the caller through the automatic replies settings.",
            ),
            Report(
                levels="LL",
                title="How can I share my calendar with my assistant?",
                description="My assistant should be able to accept meetings for me. What do I need to change?",
                diagnosis="Sent the knowledge article on delegate access.",
                code=R.USER_ERROR,
                fix="Set up delegate access together with the caller and the assistant.",
            ),
        ),
    ),
    Topic(
        category="Service request",
        subcategory="Software install",
        group="end-user-computing",
        service="Workplace",
        cis=(),
        desk_fixable=False,
        reports=(
            Report(
                levels="LL",
                title="Please install Power BI Desktop",
                description="I need Power BI Desktop for the new sales dashboard. My manager has approved it.",
                diagnosis="Licence check done; Power BI Desktop is on the approved software list.",
                code=R.SOLVED_REMOTELY,
                fix="Deployed Power BI Desktop from the software centre; it starts fine.",
            ),
            Report(
                levels="LM",
                title="Zoom add-in for Outlook missing",
                description="A customer invites us via Zoom; I need the Outlook add-in to schedule meetings.",
                diagnosis="The add-in is approved but not in the caller's deployment group.",
                code=R.SOLVED_REMOTELY,
                fix="Added the caller to the deployment group; the add-in appeared after a restart.",
            ),
        ),
    ),
)
