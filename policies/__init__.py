"""The team-edited policies, shipped with Baton as `baton_policies` (default.yaml is the starter)."""
