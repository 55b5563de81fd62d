"""Who may talk to the bot, which repositories each sender may read, and admin invites."""
