"""The plan stage: what differs between the files and the live templates, and what to do.

Takes: documents from the files stage and live templates from a backend. Gives: a Plan of
ordered actions, pure: documented defaults and secrets made comparable (concealment, normalize,
views), the diff (diff), live fingerprints (digests), drift (drift), changes made outside
hmsync (origin), the team's rules and protect (rules, guardrails), the saved plan's format
(planfile), and the load -> read live -> plan pipeline the commands share (pipeline)."""
