"""The Slack edge: Bolt listeners, Block Kit rendering, the notifier."""
