"""Software incidents: e-mail, office applications, the ERP, payroll and the online shop."""

from typing import Final

from keel.demo.topics.base import R, Report, Topic

SOFTWARE: Final[tuple[Topic, ...]] = (
    Topic(
        category="Software",
        subcategory="E-mail",
        group="applications",
        service="E-mail",
        cis=("mail-gw-01", "exchange-01"),
        desk_fixable=True,
        reports=(
            Report(
                levels="MH",
                title="Outlook keeps asking for my password",
                description="Outlook pops up a password prompt every few minutes. Typing the password does not help.",
                diagnosis="The caller's cached credentials were stale after the password change.",
                code=R.SOLVED_REMOTELY,
                fix="Cleared the saved credentials and re-created the Outlook profile remotely.",
            ),
            Report(
                levels="HH",
                title="E-mails from outside are not arriving",
                description=(
                    "Customers say their mail to us bounces with '4.4.7 Message delayed'. Nothing from outside has "
                    "arrived since 09:40."
                ),
                diagnosis="Inbound queue on mail-gw-01 is growing; the TLS handshake with the spam filter fails.",
                code=R.SOLVED_PERMANENTLY,
                fix="Renewed the certificate towards the spam filter; the queue drained.",
            ),
            Report(
                levels="LM",
                title="Shared mailbox 'invoices' has disappeared from Outlook",
                description="The invoices mailbox was in my folder list yesterday; today it is gone.",
                diagnosis="The mailbox permission was removed by the quarterly access review script.",
                code=R.SOLVED_PERMANENTLY,
                fix="Restored the caller's access to the shared mailbox.",
            ),
            Report(
                levels="MM",
                title="Mail to a supplier bounces with 550 5.7.1",
                description="Every message to our packaging supplier comes back with '550 5.7.1 Message rejected'.",
                diagnosis="The supplier rejects us because our SPF record lacks the new mail-gw-01 address.",
                code=R.SOLVED_PERMANENTLY,
                fix="Added the gateway's address to our SPF record; the supplier accepts our mail.",
            ),
        ),
        alerts=(
            Report(
                levels="HM",
                title="mail-gw-01: deferred queue above 500 messages",
                description='Alertmanager: postfix_queue_length{instance="mail-gw-01",queue="deferred"} > 500 for 10m.',
                diagnosis="A large customer's mail server greylists us; 480 of the deferred messages go to one domain.",
                code=R.SOLVED_WORKAROUND,
                fix="Routed that domain through the secondary relay; the queue drained.",
            ),
        ),
    ),
    Topic(
        category="Software",
        subcategory="Office",
        group="end-user-computing",
        service="Workplace",
        cis=(),
        desk_fixable=True,
        reports=(
            Report(
                levels="LM",
                title="Excel crashes when I open a file with macros",
                description="Excel closes without a message as soon as I open the monthly forecast workbook.",
                diagnosis="An old add-in (ForecastTools 2.3) crashes Excel; the vendor's current version is 3.1.",
                code=R.SOLVED_REMOTELY,
                fix="Disabled the outdated add-in and installed version 3.1.",
            ),
            Report(
                levels="LL",
                title="Word opens every document read-only",
                description="Since yesterday all Word documents from the team site open as read-only.",
                diagnosis="The team site library was switched to 'require check-out'.",
                code=R.SOLVED_PERMANENTLY,
                fix="Turned off 'require check-out' on the library, agreed with the site owner.",
            ),
            Report(
                levels="MM",
                title="Nobody can hear me in Teams meetings",
                description="In Teams calls people say they cannot hear me. The microphone works in other apps.",
                diagnosis="Teams picked the dock's disconnected microphone as the default device.",
                code=R.USER_ERROR,
                fix="Showed the caller how to pick the headset as microphone in Teams' device settings.",
            ),
        ),
    ),
    Topic(
        category="Software",
        subcategory="ERP",
        group="applications",
        service="ERP",
        cis=("erp-app-01", "erp-db-01"),
        desk_fixable=False,
        reports=(
            Report(
                levels="HM",
                title="Cannot post invoices in the ERP: 'Period closed'",
                description=(
                    "Posting any supplier invoice fails with 'Posting period 03 is closed'. We are in period 04."
                ),
                diagnosis="The month-end job did not roll the posting period forward; its log shows a lock timeout.",
                code=R.SOLVED_PERMANENTLY,
                fix="Opened period 04 for posting and fixed the month-end job's lock timeout.",
            ),
            Report(
                levels="MH",
                title="Month-end stock report runs for hours",
                description=(
                    "The stock valuation report used to take ten minutes. Today it has been running for two hours."
                ),
                diagnosis="The report does a full scan of stock_moves: an index was dropped in the last upgrade.",
                code=R.SOLVED_PERMANENTLY,
                fix="Re-created the missing index on stock_moves; the report runs in eight minutes.",
            ),
            Report(
                levels="HH",
                title="ERP sign-in fails for everyone: 'Service unavailable'",
                description=(
                    "Nobody in finance or purchasing can sign in to the ERP. The page says 'Service unavailable'."
                ),
                diagnosis="erp-app-01 session pool exhausted: 200/200 sessions, most idle since 02:00.",
                code=R.SOLVED_WORKAROUND,
                fix="Restarted the server pool; idle sessions now time out after 30 minutes.",
            ),
            Report(
                levels="LM",
                title="Purchase order PDF shows the old company address",
                description="Purchase orders printed from the ERP still show our old address in the footer.",
                diagnosis="The PO form template still points at the old letterhead.",
                code=R.SOLVED_PERMANENTLY,
                fix="Updated the purchase order form template.",
            ),
        ),
        alerts=(
            Report(
                levels="MH",
                title="erp-app-01: CPU above 95 % for 15 minutes",
                description='Alertmanager: node_cpu_busy{instance="erp-app-01"} > 0.95 for 15m.',
                diagnosis="A scheduled MRP run was started twice by the job scheduler.",
                code=R.SOLVED_PERMANENTLY,
                fix="Cancelled the duplicate MRP run and fixed the schedule overlap.",
            ),
        ),
    ),
    Topic(
        category="Software",
        subcategory="ERP",
        group="applications",
        service="Payroll",
        cis=("payroll-app-01",),
        desk_fixable=False,
        reports=(
            Report(
                levels="HH",
                title="Payslip preview is missing overtime hours",
                description=(
                    "The payroll preview for this month has no overtime for the warehouse staff. The payroll run is "
                    "due tomorrow."
                ),
                diagnosis=(
                    "The time-sheet interface stopped importing on the 12th after the time-sheet system's API change."
                ),
                code=R.SOLVED_PERMANENTLY,
                fix="Fixed the time-sheet interface mapping and re-imported the missing hours.",
            ),
            Report(
                levels="MM",
                title="Payroll export to the bank file fails",
                description="Generating the bank file ends with 'IBAN checksum error in line 212'.",
                diagnosis="One employee record has a space in the IBAN; the export validator rejects the whole file.",
                code=R.USER_ERROR,
                fix="Corrected the IBAN in the employee record; the bank file was generated.",
            ),
        ),
    ),
    Topic(
        category="Software",
        subcategory="Online shop",
        group="applications",
        service="Online shop",
        cis=("checkout-api", "shop-web-01"),
        desk_fixable=False,
        reports=(
            Report(
                levels="HH",
                title="Checkout fails with 'Payment could not be processed'",
                description=(
                    "Customers cannot pay: every card payment ends with 'Payment could not be processed'. Orders "
                    "dropped to zero since 14:05."
                ),
                diagnosis="checkout-api gets 502 from the payment provider; their status page reports an incident.",
                code=R.SOLVED_WORKAROUND,
                fix="Switched card payments to the secondary provider until the primary is stable.",
            ),
            Report(
                levels="HM",
                title="Order confirmation e-mails are not sent",
                description=(
                    "Customers call to ask whether their order went through; no confirmation mail since this morning."
                ),
                diagnosis="The mail-sending worker for order confirmations is stuck on a malformed address.",
                code=R.SOLVED_PERMANENTLY,
                fix="Skipped the malformed message and added validation; 312 confirmations sent.",
            ),
            Report(
                levels="MM",
                title="Discount code SPRING10 is not accepted",
                description="Marketing's SPRING10 campaign started today but the shop says the code is invalid.",
                diagnosis="The campaign's start date was entered in the wrong time zone in the shop admin.",
                code=R.USER_ERROR,
                fix="Corrected the campaign start date; the code is accepted.",
            ),
        ),
        alerts=(
            Report(
                levels="HH",
                title="checkout-api: HTTP 5xx rate above 5 %",
                description=(
                    'Alertmanager: rate(http_requests_total{job="checkout-api",code=~"5.."}[5m]) / '
                    'rate(http_requests_total{job="checkout-api"}[5m]) > 0.05 for 5m.'
                ),
                diagnosis="The 14:00 release of checkout-api ships a connection pool of 5 instead of 50.",
                code=R.SOLVED_PERMANENTLY,
                fix="Rolled back checkout-api to the previous release; error rate back under 0.1 %.",
            ),
        ),
    ),
)
