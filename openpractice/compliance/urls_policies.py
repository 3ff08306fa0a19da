"""Policy and acknowledgement routes (namespace "compliance"). The first word of a name is the kind of object
its <pk> is (tests/test_routes.py): policy, version (PolicyVersion), attachment (PolicyAttachment), campaign
(AcknowledgementCampaign), ackrequest (AcknowledgementRequest), user (the person of a report)."""

from __future__ import annotations

from django.urls import URLPattern, path

from .views import acknowledgements, policies

urlpatterns: list[URLPattern] = [
    path("policies/", policies.policy_list, name="policy_list"),
    path("policies/new/", policies.policy_create, name="policy_create"),
    path("policies/reviews/", policies.review_due, name="policy_review_due"),
    path("policies/mine/", acknowledgements.my_policies, name="policy_mine"),
    path("policies/<int:pk>/", policies.policy_detail, name="policy_detail"),
    path("policies/<int:pk>/edit/", policies.policy_edit, name="policy_edit"),
    path("policies/<int:pk>/retire/", policies.policy_retire, name="policy_retire"),
    path("policies/<int:pk>/new-version/", policies.policy_version_new, name="policy_version_new"),
    path("policies/versions/<int:pk>/", policies.version_detail, name="version_detail"),
    path("policies/versions/<int:pk>/edit/", policies.version_edit, name="version_edit"),
    path("policies/versions/<int:pk>/submit/", policies.version_submit, name="version_submit"),
    path("policies/versions/<int:pk>/return/", policies.version_return, name="version_return"),
    path("policies/versions/<int:pk>/approve/", policies.version_approve, name="version_approve"),
    path("policies/versions/<int:pk>/publish/", policies.version_publish, name="version_publish"),
    path("policies/versions/<int:pk>/attach/", policies.version_attach, name="version_attach"),
    path("policies/versions/<int:pk>/campaign/", acknowledgements.version_campaign, name="version_campaign"),
    path("policies/attachments/<int:pk>/", policies.attachment_download, name="attachment_download"),
    path("policies/attachments/<int:pk>/remove/", policies.attachment_remove, name="attachment_remove"),
    path("policies/campaigns/<int:pk>/", acknowledgements.campaign_detail, name="campaign_detail"),
    path("policies/campaigns/<int:pk>/remind/", acknowledgements.campaign_remind, name="campaign_remind"),
    path("policies/campaigns/<int:pk>/close/", acknowledgements.campaign_close, name="campaign_close"),
    path("policies/people/<int:pk>/", acknowledgements.user_policy_report, name="user_policy_report"),
    path("policies/requests/<int:pk>/", acknowledgements.ackrequest_detail, name="ackrequest_detail"),
    path("policies/requests/<int:pk>/acknowledge/", acknowledgements.ackrequest_acknowledge,
         name="ackrequest_acknowledge"),
]
