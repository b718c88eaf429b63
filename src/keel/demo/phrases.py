"""What people say around an incident, whatever it is about: chasers, questions, hand-overs, replies.

``{group}``, ``{wrong}``, ``{right}`` and ``{ref}`` are filled in by the story that uses them.
"""

from typing import Final

from keel.incidents.states import HoldReason

ACKNOWLEDGEMENTS: Final = (
    "Thanks for reporting this. We are looking into it and will update you within the hour.",
    "Thank you, we have your report. A colleague is checking it now.",
    "Got it. I have logged this and passed it to the right team; you will hear from us today.",
)

CALLER_CHASERS: Final = (
    "Any news on this? I still cannot work properly.",
    "Is there an estimate for a fix? I have a customer presentation at 3 pm.",
    "Just checking in: the problem is still there this morning.",
    "My whole team is affected now, not just me.",
)

PROGRESS_UPDATES: Final = (
    "Quick update: we found the cause and are working on a fix.",
    "Still working on it; next update by the end of the day.",
    "We have a fix ready and are testing it; I will let you know when it is live.",
)

MANAGER_NOTES: Final = (
    "High business impact: I am coordinating. Bridge call open, updates every 30 minutes.",
    "Informed the service owner and the business leads; next update on the hour.",
    "Checked for related incidents: three callers so far, linked to this one as the lead record.",
)

MANAGER_UPDATES: Final = (
    "We are aware of the problem and the team is working on it with the highest priority.",
    "Update: the cause is identified and a fix is being applied. Next update in 30 minutes.",
)

QUESTIONS_FOR_CALLER: Final = (
    "Could you send a screenshot of the error and tell us when it last worked?",
    "Please restart the laptop while connected to the office network and tell us whether it persists.",
    "When would suit you for a 15-minute remote session? We need to look at it together.",
    "Does this happen for your colleagues too, or only on your account?",
)

CALLER_REPLIES: Final = (
    "Screenshot attached. It started right after yesterday's update.",
    "Restarted as asked, same problem.",
    "Tomorrow at 10:00 works for me.",
    "Only me, my colleagues are fine.",
)

HOLD_NOTES: Final = {
    HoldReason.AWAITING_CALLER: QUESTIONS_FOR_CALLER,
    HoldReason.AWAITING_VENDOR: (
        "Opened a case with the vendor (ref. {ref}); waiting for their engineer.",
        "Replacement part ordered from the vendor under warranty, delivery expected in two days (ref. {ref}).",
    ),
    HoldReason.AWAITING_CHANGE: (
        "The fix needs a change on production: CHG{ref} is planned for the next maintenance window.",
        "Change CHG{ref} raised for the configuration fix; waiting for CAB approval.",
    ),
    HoldReason.AWAITING_PROBLEM: (
        "Same cause as problem PRB{ref}, still under investigation; waiting for the permanent fix.",
        "Linked to problem PRB{ref}; the workaround is in place while the root cause is analysed.",
    ),
}

RESUME_NOTES: Final = {
    HoldReason.AWAITING_VENDOR: "The vendor delivered; picking this up again.",
    HoldReason.AWAITING_CHANGE: "The change was implemented in last night's maintenance window; checking the result.",
    HoldReason.AWAITING_PROBLEM: "The problem's fix is deployed; verifying it solves this incident.",
}

ESCALATIONS: Final = (
    "First-line checks done: restarted, cleared the cache, checked for known errors. Passing to {group}.",
    "Not something we can fix at the desk; caller details and screenshots are in the description. Over to {group}.",
    "Reproduced the problem with the caller. Escalating to {group} for the server side.",
)

MISROUTES: Final = (
    "Not a {wrong} issue: our side is healthy and the error comes from the application. Passing to {right}.",
    "Checked everything on the {wrong} side, nothing wrong here. Reassigning to {right}.",
)

REOPENS: Final = (
    "It worked for a day but the problem is back this morning.",
    "Sorry, still not working: same error as before.",
    "Better, but it happened again twice today.",
)

SECOND_FIXES: Final = (
    "The first fix was overwritten by the nightly configuration policy; made it permanent in the baseline.",
    "Found a second cause behind the same symptom and fixed it too; tested with the caller.",
)

CONFIRMATIONS: Final = (
    "Works now, thank you!",
    "Confirmed, all good again.",
    "Yes, fixed. Thanks for the quick help.",
    "",
)

CANCELLATIONS: Final = (
    "Duplicate: the same outage is already logged and being worked.",
    "Raised by mistake: the caller found the cable was unplugged.",
    "The caller withdrew it: the problem was on the customer's side.",
)
