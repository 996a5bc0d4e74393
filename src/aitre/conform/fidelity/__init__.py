"""Relay fidelity (`aitre conform --upstream URL`): what a relay changes between a known upstream and its client.

The upstream is an `aitre serve --answer-log --faults`, whose answers are deterministic and logged by a
marker conform puts in the text of each request (`upstream.py`). `exchanges.py` sends the marked
requests through the relay, `diff.py` and `streams.py` compare each relay answer with the upstream's
answer to the same request, `faultmatrix.py` drives the upstream's faults through the relay, and
`run.py` puts it together into a `model.FidelityReport`.
"""
