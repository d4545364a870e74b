"""Test harness shared by the e2e, host and firmware tests and the benches: the e2e rig and
the network-namespace helper (needs root)."""
