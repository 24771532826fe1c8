"""Microsoft Teams: Bot Framework activities in, Adaptive Cards out, over the Microsoft 365 Agents SDK."""
