"""The write stage: the only code that changes a 100ms account.

Takes: a plan, the files it was made from, and a backend. Gives: outcomes, template by template
(done, failed, not attempted, not converged, moved meanwhile): every write built on a read of
the object it replaces (apply), and what someone else changed while it ran (meanwhile)."""
