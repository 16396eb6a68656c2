"""Payment reminders, created set-based: per batch of members, one statement finds each open bill's stage, records
it once (a unique bill, stage and audience) and writes the message in the person's language and channel.

stages.py says which bills are due a reminder, member_reminders.py and sponsor_reminders.py write them, texts.py
and zones.py say what the message says and when it may go out, send.py is the daily job.
"""

from contributions.services.reminders.send import reminder_is_stale, reminders_send
from contributions.services.reminders.zones import release_time, zone_of_region

__all__ = ["release_time", "reminder_is_stale", "reminders_send", "zone_of_region"]
