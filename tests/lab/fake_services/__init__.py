"""Tiny services used to test the emulator host itself (not the protocol services).

They follow the lab/services/base.py contract: sockets only through the context,
every request recorded before it is answered.
"""
