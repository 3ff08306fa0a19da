"""Mail background jobs (the lead imports them from frontdesk/tasks.py so djhuey finds them).

Every two minutes each active mailbox with an IMAP server is read (imap_fetch.mailbox_poll: a failure is stored
on the mailbox, never raised); every hour the per-sender loop counters of long-past hours are forgotten.
"""

from __future__ import annotations

import logging

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from .imap_fetch import mailbox_poll
from .models import Mailbox
from .services.inbound_mail import inbound_rates_prune

logger = logging.getLogger(__name__)


def poll_all_mailboxes() -> int:
    """Read every active mailbox that has an IMAP server; returns how many mails were received in all."""
    received = 0
    for mailbox in Mailbox.objects.filter(is_active=True).exclude(imap_host="").order_by("pk"):
        try:
            received += mailbox_poll(mailbox)
        except Exception:  # one mailbox's trouble must not keep the others from being read
            logger.exception("Mailbox %s could not be read", mailbox.pk)
    return received


@db_periodic_task(crontab(minute="*/2"))
def fetch_mail() -> int:
    """Every two minutes: new mail from the practice mailboxes into the queues."""
    return poll_all_mailboxes()


@db_periodic_task(crontab(minute="7"))
def prune_inbound_rates() -> int:
    """Every hour: drop the loop counters of hours long past."""
    return inbound_rates_prune(now=timezone.now())
