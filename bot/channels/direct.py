"""Repository content only in a one-to-one conversation.

A turn reads with its sender's access, and a channel or group chat may hold people who may not
read what the sender can (the files and search results the bot shows, and a button anyone
present can tap). Which repositories every member could read is not knowable from a message,
so in a shared conversation the bot runs no turn and says this instead.
"""

from __future__ import annotations

DIRECT_ONLY = (
    "I answer about code in a direct message, so private code stays private: message me directly."
)
