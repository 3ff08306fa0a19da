from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FrontdeskConfig(AppConfig):
    name = "openpractice.frontdesk"
    label = "frontdesk"
    verbose_name = "Front desk communications"

    def ready(self) -> None:
        from openpractice.accounts.roles import Perm
        from openpractice.core.navigation import NavItem, register

        # Messages reach whoever they are routed to, whatever their role, so the queue, staff messages, callbacks
        # and the directory sit in "My work" (89, after the other apps' entries there). The desk's own tools and
        # the hub's settings close the Front office section (38-39, after Payers at 37).
        mine: Any = _("My work")
        section: Any = _("Front office")
        reports = frozenset({Perm.FRONTDESK_CONFIGURE, Perm.REPORTS_OPERATIONS})
        entries: list[tuple[int, Any, Any, str, str | frozenset[str] | None]] = [
            (89, mine, _("Messages"), "frontdesk:queue_home", None),
            (89, mine, _("Message a colleague"), "frontdesk:internal_new", None),
            (89, mine, _("My callbacks"), "frontdesk:callback_mine", None),
            (89, mine, _("Staff directory"), "frontdesk:directory", None),
            (38, section, _("Log a call"), "frontdesk:call_log", Perm.FRONTDESK_MANAGE),
            (39, section, _("Routing rules"), "frontdesk:rule_list", Perm.FRONTDESK_CONFIGURE),
            (39, section, _("Message queues"), "frontdesk:queue_list", Perm.FRONTDESK_CONFIGURE),
            (39, section, _("Reply templates"), "frontdesk:template_list", Perm.FRONTDESK_CONFIGURE),
            (39, section, _("Mailboxes"), "frontdesk:mailbox_list", Perm.FRONTDESK_CONFIGURE),
            (39, section, _("Communications report"), "frontdesk:report", reports),
        ]
        for order, group, label, url_name, permission in entries:
            register(NavItem(order, group, label, url_name, permission))
