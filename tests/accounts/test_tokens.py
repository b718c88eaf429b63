"""API tokens: who a token stands for, and when it stops working."""

from datetime import timedelta

from keel.accounts.actions import issue_api_token, revoke_api_token, user_for_token
from keel.accounts.models import ApiToken


def test_a_token_stands_for_its_user_and_its_use_is_stamped_at_most_once_a_minute(agent):
    issued = issue_api_token(agent)

    assert user_for_token(issued.raw) == agent
    first_use = ApiToken.objects.get(pk=issued.token.pk).last_used_at
    user_for_token(issued.raw)
    assert ApiToken.objects.get(pk=issued.token.pk).last_used_at == first_use

    ApiToken.objects.filter(pk=issued.token.pk).update(last_used_at=first_use - timedelta(minutes=2))
    user_for_token(issued.raw)
    assert ApiToken.objects.get(pk=issued.token.pk).last_used_at > first_use - timedelta(minutes=2)


def test_revoked_tokens_unknown_tokens_and_inactive_users_get_no_one(agent, requester):
    revoked = issue_api_token(agent)
    revoke_api_token(revoked.token)
    inactive = issue_api_token(requester)
    requester.is_active = False
    requester.save(update_fields=["is_active"])

    assert user_for_token(revoked.raw) is None
    assert user_for_token(inactive.raw) is None
    assert user_for_token("keel_not-a-real-token") is None
